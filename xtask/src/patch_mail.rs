//! One patch of the series: a `git format-patch` mail with a DEP-3 style trailer block.

use crate::manifest::Manifest;
use anyhow::{Result, bail};

/// Commit types Wasmer uses in its titles (`type(scope): summary`).
const COMMIT_TYPES: &[&str] = &[
    "fix", "feat", "perf", "refactor", "test", "docs", "chore", "build", "ci",
];
/// Longest title (without the `[PATCH]` prefix) a maintainer will accept.
const MAX_TITLE_LEN: usize = 72;
/// Trailers every patch carries, in this order.
pub const TRAILER_KEYS: [&str; 3] = ["Upstream-Status", "Applies-To", "Last-Update"];

/// A patch mail split into headers, commit message and diff.
#[derive(Debug, Clone)]
pub struct PatchMail {
    /// Header lines (`From`, `From:`, `Date:`, ...) without `Subject:`.
    headers: Vec<String>,
    /// The unfolded `Subject:` value, including the `[PATCH]` prefix.
    subject: String,
    /// The commit message body (between the headers and the `---` line).
    message: String,
    /// Everything from the `---` line on: diffstat and diff.
    diff: String,
}

impl PatchMail {
    /// Splits a `git format-patch` mail.
    pub fn parse(text: &str) -> Result<Self> {
        let Some((head, rest)) = text.split_once("\n\n") else {
            bail!("no blank line after the mail headers");
        };
        let mut headers: Vec<String> = Vec::new();
        let mut subject = None;
        let mut in_subject = false;
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                if in_subject {
                    let subject: &mut String = subject.as_mut().expect("subject is open");
                    subject.push(' ');
                    subject.push_str(line.trim());
                } else if let Some(last) = headers.last_mut() {
                    last.push('\n');
                    last.push_str(line);
                }
                continue;
            }
            in_subject = false;
            if let Some(value) = line.strip_prefix("Subject: ") {
                subject = Some(value.trim().to_owned());
                in_subject = true;
            } else {
                headers.push(line.to_owned());
            }
        }
        let Some(subject) = subject else {
            bail!("no Subject: header");
        };
        let (message, diff) = if let Some(index) = rest.find("\n---\n") {
            (&rest[..=index], &rest[index + 1..])
        } else if let Some(diff) = rest.strip_prefix("---\n") {
            ("", diff)
        } else {
            bail!("no '---' line between the message and the diff");
        };
        Ok(Self {
            headers,
            subject,
            message: message.to_owned(),
            diff: diff.to_owned(),
        })
    }

    /// The mail as text again.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut subject_written = false;
        for header in &self.headers {
            out.push_str(header);
            out.push('\n');
            if header.starts_with("Date: ") && !subject_written {
                out.push_str(&format!("Subject: {}\n", self.subject));
                subject_written = true;
            }
        }
        if !subject_written {
            out.push_str(&format!("Subject: {}\n", self.subject));
        }
        out.push('\n');
        out.push_str(&self.message);
        out.push_str(&self.diff);
        out
    }

    /// The title without any `[PATCH ...]` prefix.
    pub fn title(&self) -> &str {
        match self.subject.strip_prefix('[') {
            Some(rest) => rest
                .split_once("] ")
                .map_or(&self.subject, |(_, title)| title),
            None => &self.subject,
        }
    }

    /// Replaces the `[PATCH]` prefix, e.g. with `[PATCH 2/5]`.
    pub fn set_subject_prefix(&mut self, prefix: &str) {
        self.subject = format!("[{prefix}] {}", self.title());
    }

    /// The message paragraphs before the trailer block.
    fn description(&self) -> &str {
        let message = self.message.trim_end();
        match message.rfind("\n\n") {
            Some(index) if is_trailer_block(&message[index + 2..]) => &message[..index],
            _ if is_trailer_block(message) => "",
            _ => message,
        }
    }

    /// The `Key: value` lines of the final paragraph, if it is a trailer block.
    pub fn trailers(&self) -> Vec<(String, String)> {
        let message = self.message.trim_end();
        let block = message.rfind("\n\n").map_or(message, |i| &message[i + 2..]);
        if !is_trailer_block(block) {
            return Vec::new();
        }
        block
            .lines()
            .filter_map(|line| line.split_once(": "))
            .map(|(key, value)| (key.to_owned(), value.trim().to_owned()))
            .collect()
    }

    /// The value of one trailer.
    #[cfg(test)]
    pub fn trailer(&self, key: &str) -> Option<String> {
        self.trailers()
            .into_iter()
            .find_map(|(k, value)| (k == key).then_some(value))
    }

    /// Sets (or adds) a trailer's value.
    pub fn set_trailer(&mut self, key: &str, value: &str) {
        let mut trailers = self.trailers();
        match trailers.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value.to_owned(),
            None => trailers.push((key.to_owned(), value.to_owned())),
        }
        self.message = compose_message(self.description(), &trailers);
    }

    /// Drops our downstream bookkeeping trailers (for the upstream export).
    pub fn strip_downstream_trailers(&mut self) {
        let kept: Vec<_> = self
            .trailers()
            .into_iter()
            .filter(|(key, _)| !TRAILER_KEYS.contains(&key.as_str()))
            .collect();
        self.message = compose_message(self.description(), &kept);
    }

    /// Monorepo paths the diff touches (both sides of renames).
    pub fn diff_paths(&self) -> Vec<String> {
        self.diff
            .lines()
            .filter_map(|line| line.strip_prefix("diff --git "))
            .flat_map(|rest| rest.split(' '))
            .filter_map(|path| path.strip_prefix("a/").or_else(|| path.strip_prefix("b/")))
            .map(str::to_owned)
            .collect()
    }

    /// Every problem a reviewer would reject the patch header for.
    pub fn lint(&self, manifest: &Manifest, cli_version: &str) -> Vec<String> {
        let mut problems = Vec::new();
        if !self.headers.iter().any(|h| h.starts_with("From: ")) {
            problems.push("no From: header".to_owned());
        }
        if !self.subject.starts_with("[PATCH") {
            problems.push(format!(
                "subject {:?} lacks the [PATCH] prefix",
                self.subject
            ));
        }
        problems.extend(lint_title(self.title()));
        let description = self.description().trim();
        if description.is_empty() {
            problems.push(
                "the message has no body (say what, why and the measured before/after)".to_owned(),
            );
        } else if description.contains("TODO") {
            problems.push("the message body still contains TODO".to_owned());
        }
        let trailers = self.trailers();
        let keys: Vec<&str> = trailers.iter().map(|(key, _)| key.as_str()).collect();
        if keys != TRAILER_KEYS {
            problems.push(format!(
                "the trailer block must be exactly {} (found {:?})",
                TRAILER_KEYS.join(", "),
                keys
            ));
        }
        for (key, value) in &trailers {
            let problem = match key.as_str() {
                "Upstream-Status" => check_upstream_status(value),
                "Applies-To" => (value != &format!("wasmer {cli_version}"))
                    .then(|| format!("Applies-To must be `wasmer {cli_version}`, not `{value}`")),
                "Last-Update" => (!is_iso_date(value))
                    .then(|| format!("Last-Update must be a YYYY-MM-DD date, not `{value}`")),
                _ => None,
            };
            problems.extend(problem);
        }
        let paths = self.diff_paths();
        if paths.is_empty() {
            problems.push("the patch changes no file".to_owned());
        }
        for path in paths {
            if manifest.crate_for_upstream_path(&path).is_none() {
                problems.push(format!("{path} is not inside a vendored crate"));
            } else if path.ends_with("/Cargo.toml") {
                problems.push(format!(
                    "{path}: a crate's published Cargo.toml differs from the monorepo's; patch sources only"
                ));
            }
        }
        problems
    }
}

fn lint_title(title: &str) -> Option<String> {
    if title.chars().count() > MAX_TITLE_LEN {
        return Some(format!(
            "title is longer than {MAX_TITLE_LEN} characters: {title:?}"
        ));
    }
    let valid = title.split_once(": ").is_some_and(|(kind, summary)| {
        let base = kind.split_once('(').map_or(kind, |(base, scope)| {
            if scope.ends_with(')') && scope.len() > 1 {
                base
            } else {
                ""
            }
        });
        COMMIT_TYPES.contains(&base) && !summary.trim().is_empty()
    });
    (!valid).then(|| {
        format!(
            "title {title:?} is not `type(scope): summary` (types: {})",
            COMMIT_TYPES.join(", ")
        )
    })
}

fn check_upstream_status(value: &str) -> Option<String> {
    let ok = match value.split_once(' ') {
        None => value == "Pending",
        Some(("Submitted", url)) => url.starts_with("https://github.com/wasmerio/wasmer/pull/"),
        Some(("Accepted", version)) => !version.trim().is_empty(),
        Some(_) => false,
    };
    (!ok).then(|| {
        format!("Upstream-Status must be `Pending`, `Submitted <PR url>` or `Accepted <version>`, not `{value}`")
    })
}

fn is_iso_date(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    matches!(parts.as_slice(), [y, m, d]
        if y.len() == 4 && m.len() == 2 && d.len() == 2
            && [y, m, d].iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
            && (1..=12).contains(&m.parse::<u8>().unwrap_or(0))
            && (1..=31).contains(&d.parse::<u8>().unwrap_or(0)))
}

fn is_trailer_block(block: &str) -> bool {
    !block.trim().is_empty()
        && block.lines().all(|line| {
            line.split_once(": ").is_some_and(|(key, _)| {
                !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
        })
}

fn compose_message(description: &str, trailers: &[(String, String)]) -> String {
    let mut message = description.trim_end().to_owned();
    if !trailers.is_empty() {
        message.push_str("\n\n");
        for (key, value) in trailers {
            message.push_str(&format!("{key}: {value}\n"));
        }
    } else {
        message.push('\n');
    }
    message
}

/// Builds a commit message in the series' format.
pub fn new_message(title: &str, body: &str, cli_version: &str, date: &str) -> String {
    let trailers = [
        ("Upstream-Status", "Pending".to_owned()),
        ("Applies-To", format!("wasmer {cli_version}")),
        ("Last-Update", date.to_owned()),
    ]
    .map(|(key, value)| (key.to_owned(), value));
    format!("{title}\n\n{}", compose_message(body, &trailers))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::VendoredCrate;

    fn manifest() -> Manifest {
        Manifest {
            crates: vec![VendoredCrate {
                name: "wasmer-wasix".into(),
                version: "0.704.2".into(),
                dir: "wasmer-wasix".into(),
                checksum: String::new(),
                upstream_commit: String::new(),
                upstream_path: "lib/wasix".into(),
            }],
        }
    }

    const GOOD: &str = "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Dev <dev@example.com>
Date: Mon, 23 Nov 2026 10:00:00 +0000
Subject: [PATCH] fix(wasix): stop accumulating signal wakers on every
 blocking syscall

Why it matters.

What changed.

Upstream-Status: Pending
Applies-To: wasmer 7.4.2
Last-Update: 2026-11-23
---
 lib/wasix/src/lib.rs | 1 +
 1 file changed, 1 insertion(+)

diff --git a/lib/wasix/src/lib.rs b/lib/wasix/src/lib.rs
index 1111111..2222222 100644
--- a/lib/wasix/src/lib.rs
+++ b/lib/wasix/src/lib.rs
@@ -1 +1,2 @@
 a
+b
";

    #[test]
    fn a_well_formed_patch_has_no_problems() {
        let mail = PatchMail::parse(GOOD).unwrap();
        assert_eq!(
            mail.title(),
            "fix(wasix): stop accumulating signal wakers on every blocking syscall"
        );
        assert_eq!(mail.lint(&manifest(), "7.4.2"), Vec::<String>::new());
        assert_eq!(
            mail.diff_paths(),
            ["lib/wasix/src/lib.rs", "lib/wasix/src/lib.rs"]
        );
    }

    #[test]
    fn missing_trailers_and_bad_title_are_reported() {
        let text = GOOD
            .replace("Upstream-Status: Pending\n", "")
            .replace("fix(wasix): stop", "Fix: Stop");
        let problems = PatchMail::parse(&text).unwrap().lint(&manifest(), "7.4.2");
        assert!(
            problems.iter().any(|p| p.contains("trailer block")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("type(scope)")),
            "{problems:?}"
        );
    }

    #[test]
    fn bad_trailer_values_are_reported() {
        let text = GOOD
            .replace("Upstream-Status: Pending", "Upstream-Status: Maybe")
            .replace("Last-Update: 2026-11-23", "Last-Update: yesterday");
        let problems = PatchMail::parse(&text).unwrap().lint(&manifest(), "7.4.2");
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn paths_outside_vendored_crates_are_reported() {
        let text = GOOD.replace("lib/wasix/src/lib.rs", "lib/api/src/lib.rs");
        let problems = PatchMail::parse(&text).unwrap().lint(&manifest(), "7.4.2");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("not inside a vendored crate"))
        );
    }

    #[test]
    fn export_form_drops_trailers_and_numbers_the_subject() {
        let mut mail = PatchMail::parse(GOOD).unwrap();
        mail.strip_downstream_trailers();
        mail.set_subject_prefix("PATCH 1/3");
        let text = mail.render();
        assert!(text.contains("Subject: [PATCH 1/3] fix(wasix): stop accumulating"));
        assert!(!text.contains("Upstream-Status"));
        assert!(text.contains("What changed.\n---\n"));
    }

    #[test]
    fn set_trailer_round_trips() {
        let mut mail = PatchMail::parse(GOOD).unwrap();
        mail.set_trailer("Last-Update", "2027-01-02");
        let again = PatchMail::parse(&mail.render()).unwrap();
        assert_eq!(again.trailer("Last-Update").as_deref(), Some("2027-01-02"));
        assert_eq!(again.lint(&manifest(), "7.4.2"), Vec::<String>::new());
    }
}
