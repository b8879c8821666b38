//! Kubernetes resource quantities (`128Mi`, `0.5`, `500m`, `1G`) as found in a function's
//! `limits` and `requests` (docs/api.md §5.1).

use crate::error::ProviderError;

/// Parses a memory quantity into bytes. Fractions are rounded up to a whole byte.
///
/// Accepts a decimal number with an optional binary (`Ki` … `Ei`) or decimal (`k`, `M`, `G`, `T`,
/// `P`, `E`) suffix, or an exponent (`1e9`).
pub fn parse_memory_bytes(q: &str) -> Result<u64, ProviderError> {
    let value = parse(q)?;
    if value < 0.0 {
        return Err(invalid(q, "must not be negative"));
    }
    let bytes = value.ceil();
    if bytes > u64::MAX as f64 {
        return Err(invalid(q, "is too large"));
    }
    Ok(bytes as u64)
}

/// Parses a CPU quantity into millicores (`500m` → 500, `1.5` → 1500, `2` → 2000).
pub fn parse_cpu_millis(q: &str) -> Result<u64, ProviderError> {
    let value = parse(q)?;
    if value < 0.0 {
        return Err(invalid(q, "must not be negative"));
    }
    Ok((value * 1000.0).ceil() as u64)
}

fn invalid(q: &str, why: &str) -> ProviderError {
    ProviderError::invalid(format!(
        "invalid quantity {q:?}: {why} (examples: 128Mi, 1Gi, 500m, 0.5)"
    ))
}

/// The quantity's value in base units (bytes, cores).
fn parse(q: &str) -> Result<f64, ProviderError> {
    let q_trim = q.trim();
    if q_trim.is_empty() {
        return Err(invalid(q, "is empty"));
    }
    let split = q_trim
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(q_trim.len());
    let (number, suffix) = q_trim.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| invalid(q, "does not start with a number"))?;
    let multiplier = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        s if s.starts_with(['e', 'E']) => {
            let exp: i32 = s[1..]
                .parse()
                .map_err(|_| invalid(q, "has an unknown suffix"))?;
            10f64.powi(exp)
        }
        _ => return Err(invalid(q, "has an unknown suffix")),
    };
    let value = number * multiplier;
    if !value.is_finite() {
        return Err(invalid(q, "is not a finite number"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory() {
        assert_eq!(parse_memory_bytes("128Mi").unwrap(), 128 * 1024 * 1024);
        assert_eq!(parse_memory_bytes("1G").unwrap(), 1_000_000_000);
        assert_eq!(parse_memory_bytes("64").unwrap(), 64);
        assert_eq!(parse_memory_bytes("1e3").unwrap(), 1000);
        assert_eq!(parse_memory_bytes("0.5Ki").unwrap(), 512);
        for bad in ["", "Mi", "12XB", "-1Mi", "1..2"] {
            assert!(parse_memory_bytes(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cpu() {
        assert_eq!(parse_cpu_millis("500m").unwrap(), 500);
        assert_eq!(parse_cpu_millis("1.5").unwrap(), 1500);
        assert_eq!(parse_cpu_millis("2").unwrap(), 2000);
        assert!(parse_cpu_millis("fast").is_err());
    }
}
