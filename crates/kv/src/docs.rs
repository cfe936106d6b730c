//! `COMMAND DOCS`: each command's documentation as Redis 7.0.15 gives it
//! ([`table`], generated), written in the connection's protocol: maps and
//! sets under RESP3, flat arrays under RESP2, as Redis does.

mod table;

use switchyard_codec::resp;

use crate::reply::Reply;

/// One node of a command's documentation, typed as Redis sends it.
pub enum Doc {
    Bulk(&'static str),
    Status(&'static str),
    Int(i64),
    Array(&'static [Doc]),
    Set(&'static [Doc]),
    /// Pairs with bulk-string keys.
    Map(&'static [(&'static str, Doc)]),
}

/// The documentation of command `name` (lower case), if Redis has it.
pub fn find(name: &str) -> Option<&'static Doc> {
    table::DOCS.iter().find(|(n, _)| *n == name).map(|(_, d)| d)
}

/// Appends `doc` to `out`.
pub fn write(out: &mut Reply, doc: &Doc) {
    match doc {
        Doc::Bulk(s) => resp::bulk(out, s.as_bytes()),
        Doc::Status(s) => resp::simple(out, s),
        Doc::Int(n) => resp::integer(out, *n),
        Doc::Array(items) => {
            resp::array(out, items.len());
            items.iter().for_each(|d| write(out, d));
        }
        Doc::Set(items) => {
            out.set(items.len());
            items.iter().for_each(|d| write(out, d));
        }
        Doc::Map(pairs) => {
            out.map(pairs.len());
            for (key, value) in pairs.iter() {
                resp::bulk(out, key.as_bytes());
                write(out, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::COMMANDS;

    fn field<'a>(doc: &'a Doc, key: &str) -> Option<&'a Doc> {
        let Doc::Map(pairs) = doc else { return None };
        pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    #[test]
    fn every_command_has_since_complexity_and_its_group() {
        for c in COMMANDS {
            let Some(doc) = find(c.name) else { panic!("no docs for {}", c.name) };
            assert!(matches!(field(doc, "since"), Some(Doc::Bulk(v)) if !v.is_empty()), "{}", c.name);
            assert!(matches!(field(doc, "complexity"), Some(Doc::Bulk(_))), "{}", c.name);
            assert!(matches!(field(doc, "group"), Some(Doc::Bulk(g)) if *g == c.group), "{}", c.name);
        }
    }
}
