//! Hostile statement files, generated here: each must fail with a clear error in bounded time
//! and memory (or load), never exhaust memory or overflow the stack.

use std::io::Write;
use std::time::{Duration, Instant};

use rust_xlsxwriter::Workbook;
use tieout_reconcile::load::{LoadOptions, XlsxLimits, load_statement_from_bytes};

fn message<T: std::fmt::Debug>(r: Result<T, impl std::fmt::Display>) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.to_string(),
    }
}

/// A 5 KB workbook with cells at A1 and XFD1048576: laid out as rows it is a 17-billion-cell
/// rectangle (8 GB cap reached before). Refused before anything is allocated for it.
#[test]
fn far_apart_cells_are_refused_without_allocating_their_rectangle() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "Date").unwrap();
    ws.write_string(1_048_575, 16_383, "far away").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    assert!(bytes.len() < 10_000);
    let t = Instant::now();
    let msg = message(load_statement_from_bytes(
        "sparse.xlsx",
        &bytes,
        &LoadOptions::default(),
    ));
    assert!(msg.contains("sparse.xlsx"), "{msg}");
    assert!(msg.contains("1048576 × 16384"), "{msg}");
    assert!(t.elapsed() < Duration::from_secs(5));
}

/// A normal bank export still loads under the default limits.
#[test]
fn an_ordinary_workbook_loads() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["Date", "Description", "Amount"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for r in 1..=50u32 {
        ws.write_string(r, 0, "2026-10-05").unwrap();
        ws.write_string(r, 1, format!("WIRE FROM INVESTOR {r}"))
            .unwrap();
        ws.write_number(r, 2, 100.0 + f64::from(r)).unwrap();
    }
    let bytes = wb.save_to_buffer().unwrap();
    let loaded = load_statement_from_bytes("bank.xlsx", &bytes, &LoadOptions::default()).unwrap();
    assert_eq!(loaded.lines.len(), 50);
}

/// Cell count and inflated size bounds (configurable).
#[test]
fn too_many_cells_or_bytes_fail_clearly() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for r in 0..400u32 {
        for c in 0..10u16 {
            ws.write_string(r, c, "the same long text again and again and again")
                .unwrap();
        }
    }
    let bytes = wb.save_to_buffer().unwrap();
    let few_cells = LoadOptions {
        xlsx_limits: XlsxLimits {
            max_cells: 1_000,
            ..XlsxLimits::default()
        },
        ..LoadOptions::default()
    };
    let msg = message(load_statement_from_bytes("big.xlsx", &bytes, &few_cells));
    assert!(msg.contains("more than 1000 cells"), "{msg}");
    let small_parts = LoadOptions {
        xlsx_limits: XlsxLimits {
            max_part_bytes: 16 << 10,
            ..XlsxLimits::default()
        },
        ..LoadOptions::default()
    };
    let msg = message(load_statement_from_bytes("big.xlsx", &bytes, &small_parts));
    assert!(
        msg.contains("more than 0 MiB") || msg.contains("zip bomb"),
        "{msg}"
    );
}

/// A zip bomb whose archive understates the sheet's size: the inflated bytes are counted as
/// they come, and the read stops at the limit.
#[test]
fn a_zip_bomb_lying_about_its_size_stops_at_the_limit() {
    // 8 MB of sheet XML (one row of padding whitespace) in a few KB.
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Date</t></is></c></row>"#,
    );
    xml.push_str(&" ".repeat(8 << 20));
    xml.push_str("</sheetData></worksheet>");
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("[Content_Types].xml", o).unwrap();
        z.write_all(b"<Types/>").unwrap();
        z.start_file("xl/worksheets/sheet1.xml", o).unwrap();
        z.write_all(xml.as_bytes()).unwrap();
        z.finish().unwrap();
    }
    let mut bytes = buf.into_inner();
    assert!(bytes.len() < 100_000, "{}", bytes.len());
    // Rewrite the sheet's declared uncompressed size (local and central headers) to 1,000.
    let name = b"xl/worksheets/sheet1.xml";
    let mut patched = 0;
    for i in 0..bytes.len().saturating_sub(46) {
        let (size_at, name_len_at, name_at) = match &bytes[i..i + 4] {
            b"PK\x03\x04" => (22, 26, 30),
            b"PK\x01\x02" => (24, 28, 46),
            _ => continue,
        };
        let n = u16::from_le_bytes([bytes[i + name_len_at], bytes[i + name_len_at + 1]]) as usize;
        if bytes.get(i + name_at..i + name_at + n) == Some(&name[..]) {
            bytes[i + size_at..i + size_at + 4].copy_from_slice(&1_000u32.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2);
    let limits = LoadOptions {
        xlsx_limits: XlsxLimits {
            max_part_bytes: 1 << 20,
            ..XlsxLimits::default()
        },
        ..LoadOptions::default()
    };
    let t = Instant::now();
    let msg = message(load_statement_from_bytes("bomb.xlsx", &bytes, &limits));
    assert!(msg.contains("xl/worksheets/sheet1.xml"), "{msg}");
    assert!(t.elapsed() < Duration::from_secs(5));
}

fn camt(inner: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId><CreDtTm>2026-10-31T00:00:00Z</CreDtTm></GrpHdr><Stmt><Id>S</Id><Acct><Id><IBAN>DE00</IBAN></Id><Ccy>USD</Ccy></Acct>{inner}</Stmt></BkToCstmrStmt></Document>"#
    )
}

/// A camt.053 nested 30,000 deep overflowed the stack (recursive drop of the node tree); the
/// nesting is now bounded, inside an entry and outside.
#[test]
fn deeply_nested_camt_is_refused_without_overflowing_the_stack() {
    let deep = format!("{}{}", "<X>".repeat(30_000), "</X>".repeat(30_000));
    for doc in [
        camt(&format!("<Ntry><Amt Ccy=\"USD\">1.00</Amt>{deep}</Ntry>")),
        camt(&deep),
    ] {
        let r = load_statement_from_bytes("deep.xml", doc.as_bytes(), &LoadOptions::default());
        let text = match r {
            Err(e) => e.to_string(),
            Ok(l) => format!("{:?}", l.rejects),
        };
        assert!(text.contains("nested more than 200 deep"), "{text}");
    }
}
