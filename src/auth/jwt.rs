//! Bearer tokens: JWTs verified offline against the keys the auth file names (a JWKS file, or
//! an HS256 secret), with issuer, audience, expiry and not-before checked. `alg: none` cannot
//! pass: jsonwebtoken knows no such algorithm, and each key accepts only its own family.

use std::path::Path;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

/// Seconds a clock may be off when checking `exp` and `nbf`.
const LEEWAY_SECS: u64 = 30;

/// What a verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub principal: String,
    pub groups: Vec<String>,
    /// Unix seconds: the token is not valid from then on.
    pub expires: u64,
}

/// One verification key with the algorithms it may verify.
struct Key {
    id: Option<String>,
    algorithms: Vec<Algorithm>,
    key: DecodingKey,
}

pub struct JwtVerifier {
    keys: Vec<Key>,
    issuer: String,
    audience: String,
    principal_claim: String,
    groups_claim: Option<String>,
}

/// The `[jwt]` section, paths already resolved.
pub struct JwtSettings<'a> {
    pub jwks_file: Option<&'a Path>,
    pub hs256_secret_file: Option<&'a Path>,
    pub issuer: &'a str,
    pub audience: &'a str,
    pub principal_claim: &'a str,
    pub groups_claim: Option<&'a str>,
}

impl JwtVerifier {
    pub fn load(settings: &JwtSettings<'_>) -> Result<JwtVerifier, String> {
        let keys = match (settings.jwks_file, settings.hs256_secret_file) {
            (Some(path), None) => jwks(path)?,
            (None, Some(path)) => {
                let secret = std::fs::read(path)
                    .map_err(|e| format!("reading hs256_secret_file {}: {e}", path.display()))?;
                // A trailing newline from `echo` or an editor is not part of the secret.
                let secret = secret.trim_ascii_end();
                if secret.len() < 32 {
                    return Err(format!(
                        "hs256_secret_file {}: the secret must be at least 32 bytes",
                        path.display()
                    ));
                }
                vec![Key {
                    id: None,
                    algorithms: vec![Algorithm::HS256],
                    key: DecodingKey::from_secret(secret),
                }]
            }
            _ => {
                return Err("[jwt] needs exactly one of jwks_file and hs256_secret_file".to_string())
            }
        };
        Ok(JwtVerifier {
            keys,
            issuer: settings.issuer.to_string(),
            audience: settings.audience.to_string(),
            principal_claim: settings.principal_claim.to_string(),
            groups_claim: settings.groups_claim.map(str::to_string),
        })
    }

    /// Verifies `token`; the error says why not (for the log, never for the client).
    pub fn verify(&self, token: &str) -> Result<Verified, String> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
        let key = self
            .keys
            .iter()
            .find(|k| {
                k.algorithms.contains(&header.alg)
                    && match (&header.kid, &k.id) {
                        (Some(wanted), Some(id)) => wanted == id,
                        _ => true,
                    }
            })
            .ok_or_else(|| format!("no key for alg {:?} kid {:?}", header.alg, header.kid))?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
            .map_err(|e| e.to_string())?;
        let claims = data.claims;
        let principal = claims
            .get(&self.principal_claim)
            .and_then(Value::as_str)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| format!("no string claim {:?}", self.principal_claim))?
            .to_string();
        let groups = match self.groups_claim.as_ref().and_then(|c| claims.get(c)) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            Some(Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        };
        let expires = claims
            .get("exp")
            .and_then(number)
            .ok_or("exp is not a number")?;
        Ok(Verified {
            principal,
            groups,
            expires,
        })
    }
}

/// A claim's number as whole seconds (the server's JSON keeps numbers as written).
fn number(value: &Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
}

fn jwks(path: &Path) -> Result<Vec<Key>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("reading jwks_file {}: {e}", path.display()))?;
    let set: JwkSet = serde_json::from_str(&text)
        .map_err(|e| format!("jwks_file {}: not a JWK set: {e}", path.display()))?;
    let mut keys = Vec::new();
    for jwk in &set.keys {
        let algorithms = match jwk.common.key_algorithm {
            // KeyAlgorithm and Algorithm share their names.
            Some(alg) => vec![format!("{alg:?}")
                .parse::<Algorithm>()
                .map_err(|_| format!("jwks_file {}: unsupported alg {alg:?}", path.display()))?],
            None => match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => vec![
                    Algorithm::RS256,
                    Algorithm::RS384,
                    Algorithm::RS512,
                    Algorithm::PS256,
                    Algorithm::PS384,
                    Algorithm::PS512,
                ],
                AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
                    EllipticCurve::P256 => vec![Algorithm::ES256],
                    EllipticCurve::P384 => vec![Algorithm::ES384],
                    _ => Vec::new(),
                },
                AlgorithmParameters::OctetKeyPair(_) => vec![Algorithm::EdDSA],
                AlgorithmParameters::OctetKey(_) => {
                    vec![Algorithm::HS256, Algorithm::HS384, Algorithm::HS512]
                }
            },
        };
        let key = DecodingKey::from_jwk(jwk)
            .map_err(|e| format!("jwks_file {}: a key does not load: {e}", path.display()))?;
        keys.push(Key {
            id: jwk.common.key_id.clone(),
            algorithms,
            key,
        });
    }
    if keys.is_empty() {
        return Err(format!("jwks_file {}: no keys", path.display()));
    }
    Ok(keys)
}
