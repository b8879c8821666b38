//! The user a replica runs as: the image's `User` resolved to numbers with its own
//! `/etc/passwd` and `/etc/group`. Pure.

use crate::error::{Error, Result};

/// Resolves an image `User` (`uid`, `uid:gid`, `name`, `name:group`) to numbers, looking names
/// up in the image's `/etc/passwd` and `/etc/group` when given.
pub fn resolve_user(user: &str, passwd: Option<&str>, group: Option<&str>) -> Result<(u32, u32)> {
    let user = user.trim();
    if user.is_empty() {
        return Ok((0, 0));
    }
    let (u, g) = match user.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (user, None),
    };
    let lookup = |file: Option<&str>, name: &str, id_field: usize| -> Option<(u32, u32)> {
        file?.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.first() == Some(&name) && fields.len() > id_field + 1)
                .then(|| {
                    let id = fields[id_field].parse().ok()?;
                    let gid = fields
                        .get(id_field + 1)
                        .and_then(|g| g.parse().ok())
                        .unwrap_or(id);
                    Some((id, gid))
                })
                .flatten()
        })
    };
    let (uid, primary_gid) = match u.parse::<u32>() {
        Ok(uid) => (
            uid,
            passwd
                .and_then(|p| {
                    p.lines().find_map(|l| {
                        let f: Vec<&str> = l.split(':').collect();
                        (f.get(2) == Some(&u))
                            .then(|| f.get(3)?.parse().ok())
                            .flatten()
                    })
                })
                .unwrap_or(0),
        ),
        Err(_) => lookup(passwd, u, 2).ok_or_else(|| {
            Error::Invalid(format!("the image's user {u:?} is not in its /etc/passwd"))
        })?,
    };
    let gid = match g {
        None => primary_gid,
        Some(g) => match g.parse::<u32>() {
            Ok(gid) => gid,
            Err(_) => lookup(group, g, 2).map(|(id, _)| id).ok_or_else(|| {
                Error::Invalid(format!("the image's group {g:?} is not in its /etc/group"))
            })?,
        },
    };
    Ok((uid, gid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_resolve_by_name_or_number() {
        let passwd = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n";
        let group = "root:x:0:\nstaff:x:50:\n";
        assert_eq!(resolve_user("", None, None).unwrap(), (0, 0));
        assert_eq!(
            resolve_user("1000", Some(passwd), None).unwrap(),
            (1000, 1001)
        );
        assert_eq!(
            resolve_user("app", Some(passwd), None).unwrap(),
            (1000, 1001)
        );
        assert_eq!(
            resolve_user("app:staff", Some(passwd), Some(group)).unwrap(),
            (1000, 50)
        );
        assert_eq!(resolve_user("12:34", None, None).unwrap(), (12, 34));
        assert!(resolve_user("nobody", Some(passwd), None).is_err());
    }
}
