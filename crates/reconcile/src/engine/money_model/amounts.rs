//! An investment's expected amounts under the fitted model, and the model applied to every
//! movement (the only home of the amount formula).

use std::collections::BTreeMap;

use tieout_domain::{Book, Cents};

use super::{Figures, Formula, GrossReading, MoneyModel, default_formula};
use crate::engine::ReconError;
use crate::engine::expected::{Method, MoveKind, Movement, OutOfScope};

/// The runner-up formula of each method whose fit tied.
#[derive(Debug, Default)]
pub(crate) struct FittedTies {
    pub(super) alt: BTreeMap<Method, Formula>,
}

/// Sets every movement's expected (and alternative) cents under the model. Carried items keep
/// the amounts they were carried with.
pub(crate) fn apply(
    book: &Book,
    model: &MoneyModel,
    ties: &FittedTies,
    moves: &mut [Movement],
    out_of_scope: &mut [OutOfScope],
) -> Result<(), ReconError> {
    let formula = |m: Method| {
        model
            .formula(m)
            .map_or(default_formula(m, GrossReading::Price), |mm| mm.formula)
    };
    // `expected::build` set the default reading's amounts: a method the fit left there keeps
    // them (no second read of every investment's figures).
    let unchanged = |m: Method| {
        formula(m) == default_formula(m, GrossReading::Price) && !ties.alt.contains_key(&m)
    };
    for mv in moves.iter_mut() {
        if unchanged(mv.method) {
            continue;
        }
        let Some(inv) = mv.book_index.and_then(|i| book.investments.get(i)) else {
            continue;
        };
        let f = Figures::of(inv)?;
        let amounts = amounts(&f, formula(mv.method), ties.alt.get(&mv.method), mv.method);
        let (e, a) = amounts.of(mv.kind);
        mv.expected = e;
        mv.alt = a;
    }
    for o in out_of_scope.iter_mut() {
        let Some(inv) = o.book_index.and_then(|i| book.investments.get(i)) else {
            continue;
        };
        let method = Method::from_payment(&inv.payment_method);
        if unchanged(method) {
            continue;
        }
        let f = Figures::of(inv)?;
        let amounts = amounts(&f, formula(method), ties.alt.get(&method), method);
        o.expected = amounts.of(o.kind).0;
    }
    Ok(())
}

/// An investment's expected amounts under a formula.
pub(crate) struct Amounts {
    /// What the bank sees for the credit.
    pub bank: Cents,
    /// The gross payment.
    pub gross: Cents,
    /// What a processor settles (card, ACH: the bank figure); otherwise gross less processing
    /// fees.
    pub net: Cents,
    /// A tied reading's bank figure, when it differs.
    pub tie: Option<Cents>,
    pub method: Method,
}

impl Amounts {
    /// `(expected, alternative)` for a movement kind (signed).
    pub(crate) fn of(&self, kind: MoveKind) -> (Cents, Option<Cents>) {
        let processor = matches!(self.method, Method::Card | Method::Ach);
        let other = |e: Cents, a: Cents| (a != e).then_some(a);
        match kind {
            MoveKind::Credit => {
                // A processor may or may not take its fee out of each item: the other of gross
                // and net is the alternative.
                let alt = if !processor {
                    None
                } else if self.bank != self.gross {
                    Some(self.gross)
                } else {
                    other(self.bank, self.net)
                };
                (self.bank, self.tie.filter(|&t| t != self.bank).or(alt))
            }
            MoveKind::Refund if processor => (-self.net, other(-self.net, -self.gross)),
            MoveKind::Refund => (-self.gross, other(-self.gross, -self.net)),
            MoveKind::AchReturn => (-self.net, other(-self.net, -self.gross)),
        }
    }
}

/// The amounts of one investment (`f`) under `formula` (and a tied `alt` formula).
pub(crate) fn amounts(
    f: &Figures,
    formula: Formula,
    alt: Option<&Formula>,
    method: Method,
) -> Amounts {
    let gross = formula.gross.cents(f).unwrap_or_else(|| f.default_gross());
    let bank = formula.cents(f).unwrap_or_else(|| {
        Formula {
            gross: GrossReading::Price,
            ..formula
        }
        .cents(&Figures {
            price: Some(gross),
            ..*f
        })
        .unwrap_or(gross)
    });
    // What a processor pays out for it (and takes back on a refund or return): the bank figure.
    let net = if matches!(method, Method::Card | Method::Ach) {
        bank
    } else {
        gross - f.ppf.unwrap_or(0)
    };
    Amounts {
        bank,
        gross,
        net,
        tie: alt.and_then(|a| a.cents(f)),
        method,
    }
}
