//! The auth file (`--auth-file auth.toml`): users, JWT keys and grants, read and checked as a
//! whole, so a file with a mistake is refused with its line and reason and never half applied.
//! Unknown top-level keys are allowed (operators' tooling may keep its own); inside a user, a
//! grant or `[jwt]`, an unknown key is a mistake (`subject` for `subjects` would grant nothing).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::jwt::{JwtSettings, JwtVerifier};
use super::password::StoredHash;
use super::policy::{Grant, Grantee, Pattern, Policy, Role};

#[derive(Deserialize)]
struct AuthFile {
    #[serde(default)]
    users: Vec<User>,
    jwt: Option<Jwt>,
    #[serde(default)]
    grants: Vec<GrantEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct User {
    name: String,
    password_hash: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Jwt {
    jwks_file: Option<PathBuf>,
    hs256_secret_file: Option<PathBuf>,
    issuer: String,
    audience: String,
    #[serde(default = "sub")]
    principal_claim: String,
    groups_claim: Option<String>,
}

fn sub() -> String {
    "sub".to_string()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantEntry {
    principal: Option<String>,
    group: Option<String>,
    role: Role,
    subjects: String,
}

/// What the file configures, ready to use.
pub struct Settings {
    pub users: HashMap<String, StoredHash>,
    pub jwt: Option<JwtVerifier>,
    pub policy: Policy,
}

/// Reads and checks the file at `path`; the error names the file and, when it does not parse,
/// the line and the reason. Relative key paths are relative to the file's directory.
pub fn load(path: &Path) -> Result<Settings, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    parse(&text, dir).map_err(|e| format!("{}: {e}", path.display()))
}

fn parse(text: &str, dir: &Path) -> Result<Settings, String> {
    let file: AuthFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut users = HashMap::new();
    for user in file.users {
        if user.name.is_empty() || user.name.contains(':') {
            return Err(format!(
                "user {:?}: a name is not empty and has no ':'",
                user.name
            ));
        }
        let hash = StoredHash::parse(&user.password_hash)
            .map_err(|e| format!("user {:?}: password_hash is {e}", user.name))?;
        if users.insert(user.name.clone(), hash).is_some() {
            return Err(format!("user {:?} is listed twice", user.name));
        }
    }
    let jwt = match &file.jwt {
        Some(jwt) => {
            let jwks = jwt.jwks_file.as_ref().map(|p| dir.join(p));
            let secret = jwt.hs256_secret_file.as_ref().map(|p| dir.join(p));
            Some(JwtVerifier::load(&JwtSettings {
                jwks_file: jwks.as_deref(),
                hs256_secret_file: secret.as_deref(),
                issuer: &jwt.issuer,
                audience: &jwt.audience,
                principal_claim: &jwt.principal_claim,
                groups_claim: jwt.groups_claim.as_deref(),
            })?)
        }
        None => None,
    };
    let mut grants = Vec::new();
    for (n, entry) in file.grants.into_iter().enumerate() {
        let who = match (entry.principal, entry.group) {
            (Some(p), None) if !p.is_empty() => Grantee::Principal(p),
            (None, Some(g)) if !g.is_empty() => Grantee::Group(g),
            _ => {
                return Err(format!(
                    "grant {}: name exactly one of principal and group",
                    n + 1
                ))
            }
        };
        let subjects =
            Pattern::parse(&entry.subjects).map_err(|e| format!("grant {}: {e}", n + 1))?;
        grants.push((
            who,
            Grant {
                role: entry.role,
                subjects,
            },
        ));
    }
    Ok(Settings {
        users,
        jwt,
        policy: Policy::new(grants),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        match parse(text, Path::new(".")) {
            Ok(_) => panic!("parsed: {text}"),
            Err(e) => e,
        }
    }

    #[test]
    fn a_file_that_grants_nothing_is_allowed() {
        let s = parse("", Path::new(".")).unwrap();
        assert!(s.users.is_empty() && s.jwt.is_none());
    }

    #[test]
    fn mistakes_name_their_line_or_entry() {
        let e = err("[[grants]]\nprincipal = \"a\"\nrole = \"owner\"\nsubjects = \"*\"\n");
        assert!(e.contains("line 3") && e.contains("owner"), "{e}");
        let e = err("[[grants]]\nprincipal = \"a\"\nrole = \"reader\"\nsubject = \"*\"\n");
        assert!(e.contains("subject"), "{e}");
        let e = err("[[grants]]\nrole = \"reader\"\nsubjects = \"*\"\n");
        assert_eq!(e, "grant 1: name exactly one of principal and group");
        let e = err("[[users]]\nname = \"a\"\npassword_hash = \"secret\"\n");
        assert!(
            e.starts_with("user \"a\": password_hash is not a PHC string"),
            "{e}"
        );
        let e = err("[jwt]\nissuer = \"i\"\naudience = \"a\"\n");
        assert_eq!(
            e,
            "[jwt] needs exactly one of jwks_file and hs256_secret_file"
        );
    }

    #[test]
    fn unknown_top_level_keys_are_kept_for_tooling() {
        assert!(parse("owner = \"team-a\"\n[extra]\nx = 1\n", Path::new(".")).is_ok());
    }
}
