//! Peer timings written by `benches/peers/elementwise.py` (run by the report itself, or by hand)
//! to `target/lazynp-report/peers.json`: a JSON array of `{"workload": .., "size": .., "peer":
//! .., "seconds": .., "threads": ..}` objects (`threads` optional in older files). Read with a
//! small JSON reader (no serde in this crate's dependencies).

use std::collections::BTreeMap;

/// One peer's median time for one workload.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerTime {
    /// Workload name (same as the Rust side).
    pub workload: String,
    /// Size label (same as the Rust side).
    pub size: String,
    /// `numpy`, `numexpr`, `jax.jit`, ...
    pub peer: String,
    /// Median seconds.
    pub seconds: f64,
}

/// All peer times, looked up by workload and size.
#[derive(Clone, Debug, Default)]
pub struct Peers {
    by_key: BTreeMap<(String, String), Vec<(String, f64)>>,
    /// The thread counts the times were measured at (empty if the file does not say).
    pub threads: Vec<usize>,
}

impl Peers {
    /// Parses the file's text.
    pub fn parse(text: &str) -> Result<Peers, String> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.value()?;
        p.ws();
        if p.i != p.s.len() {
            return Err(format!("trailing text at byte {}", p.i));
        }
        let Json::Arr(items) = v else {
            return Err("expected a JSON array".into());
        };
        let mut peers = Peers::default();
        for it in items {
            let get = |k: &str| match &it {
                Json::Obj(m) => m.iter().find(|(n, _)| n == k).map(|(_, v)| v),
                _ => None,
            };
            let (Some(Json::Str(w)), Some(Json::Str(s)), Some(Json::Str(p)), Some(Json::Num(t))) =
                (get("workload"), get("size"), get("peer"), get("seconds"))
            else {
                return Err("each item needs workload, size, peer (strings), seconds".into());
            };
            if let Some(v) = get("threads") {
                let n = match v {
                    Json::Num(n) if *n >= 1.0 && n.fract() == 0.0 => *n as usize,
                    _ => return Err("threads must be a positive integer".into()),
                };
                if !peers.threads.contains(&n) {
                    peers.threads.push(n);
                }
            }
            peers.push(PeerTime {
                workload: w.clone(),
                size: s.clone(),
                peer: p.clone(),
                seconds: *t,
            });
        }
        Ok(peers)
    }

    /// Adds one time.
    pub fn push(&mut self, t: PeerTime) {
        self.by_key
            .entry((t.workload, t.size))
            .or_default()
            .push((t.peer, t.seconds));
    }

    /// Every peer named, once each, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .by_key
            .values()
            .flatten()
            .map(|(p, _)| p.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Whether no times were read.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// `peer`'s time for a workload.
    pub fn time(&self, workload: &str, size: &str, peer: &str) -> Option<f64> {
        self.by_key
            .get(&(workload.to_string(), size.to_string()))?
            .iter()
            .find(|(p, _)| p == peer)
            .map(|&(_, s)| s)
    }

    /// The fastest peer for a workload: (name, seconds).
    pub fn best(&self, workload: &str, size: &str) -> Option<(&str, f64)> {
        self.by_key
            .get(&(workload.to_string(), size.to_string()))?
            .iter()
            .filter(|(_, s)| s.is_finite() && *s > 0.0)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(p, s)| (p.as_str(), *s))
    }
}

enum Json {
    Null,
    Bool,
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Result<(), String> {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {}", c as char, self.i))
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.ws();
        match self.s.get(self.i) {
            Some(b'[') => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Json::Arr(v));
                }
                loop {
                    v.push(self.value()?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Arr(v));
                        }
                        _ => return Err(format!("expected ',' or ']' at byte {}", self.i)),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut m = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Json::Obj(m));
                }
                loop {
                    self.ws();
                    let k = self.string()?;
                    self.eat(b':')?;
                    m.push((k, self.value()?));
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Obj(m));
                        }
                        _ => return Err(format!("expected ',' or '}}' at byte {}", self.i)),
                    }
                }
            }
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b't') | Some(b'f') | Some(b'n') => {
                for (word, v) in [("true", 1), ("false", 1), ("null", 0)] {
                    if self.s[self.i..].starts_with(word.as_bytes()) {
                        self.i += word.len();
                        return Ok(if v == 1 { Json::Bool } else { Json::Null });
                    }
                }
                Err(format!("bad literal at byte {}", self.i))
            }
            Some(_) => {
                let start = self.i;
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'
                    )
                {
                    self.i += 1;
                }
                std::str::from_utf8(&self.s[start..self.i])
                    .ok()
                    .and_then(|t| t.parse().ok())
                    .map(Json::Num)
                    .ok_or_else(|| format!("bad number at byte {start}"))
            }
            None => Err("unexpected end of input".into()),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.eat(b'"')?;
        let mut out = Vec::new();
        while let Some(&c) = self.s.get(self.i) {
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).map_err(|e| e.to_string()),
                b'\\' => {
                    let e = *self.s.get(self.i).ok_or("unterminated escape")?;
                    self.i += 1;
                    let ch = match e {
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'u' => {
                            let hex = self.s.get(self.i..self.i + 4).ok_or("short \\u escape")?;
                            self.i += 4;
                            std::str::from_utf8(hex)
                                .ok()
                                .and_then(|h| u32::from_str_radix(h, 16).ok())
                                .and_then(char::from_u32)
                                .unwrap_or('\u{fffd}')
                        }
                        other => other as char,
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                _ => out.push(c),
            }
        }
        Err("unterminated string".into())
    }
}

/// Escapes `s` as a JSON string (with the quotes).
pub fn json_string(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}
