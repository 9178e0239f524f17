//! Real mail servers for the email tests, started by the test: Dovecot
//! (IMAP over TLS, from Debian's dovecot-imapd) serving Maildirs, and an
//! aiosmtpd SMTP server (STARTTLS) that delivers into them. Both use a
//! self-signed certificate made here with openssl; trustdesk is given it
//! as its CA file, so the TLS paths are the real ones.
//!
//! Dovecot refuses to run its login processes as root, so the mail users
//! are `nobody` and the folders are made readable for Dovecot's users.
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const USERS: &[&str] = &["support", "ann", "bob"];

pub struct MailServers {
    dir: tempfile::TempDir,
    pub imaps_port: u16,
    pub smtp_port: u16,
    dovecot: Child,
    sink: Child,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn need(program: &str, hint: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "{program} is needed for the email tests: {hint} (.ci/run installs it)"
    );
}

pub fn password(user: &str) -> String {
    format!("pw-{user}")
}

impl MailServers {
    pub async fn start() -> Self {
        need("dovecot", "apt-get install dovecot-imapd");
        need("openssl", "apt-get install openssl");
        let python_ok = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            python_ok,
            "python3 with aiosmtpd is needed for the email tests: pip install aiosmtpd"
        );
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
        // A CA and a server certificate it signed (webpki refuses a
        // self-signed certificate as the server's own).
        std::fs::write(
            root.join("server.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let steps: [Vec<String>; 3] = [
            ["req", "-x509"]
                .iter()
                .chain(&ec)
                .chain(&[
                    "-days",
                    "2",
                    "-subj",
                    "/CN=trustdesk test CA",
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.pem",
                ])
                .map(|s| s.to_string())
                .collect(),
            ["req"]
                .iter()
                .chain(&ec)
                .chain(&[
                    "-subj",
                    "/CN=127.0.0.1",
                    "-keyout",
                    "key.pem",
                    "-out",
                    "server.csr",
                ])
                .map(|s| s.to_string())
                .collect(),
            [
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "server.ext",
                "-out",
                "cert.pem",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ];
        for step in steps {
            let status = Command::new("openssl")
                .args(&step)
                .current_dir(root)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert!(status.success(), "openssl {step:?} failed");
        }
        std::fs::set_permissions(root.join("key.pem"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        let mail = root.join("mail");
        let mut passwd = String::new();
        for user in USERS {
            for sub in ["tmp", "new", "cur"] {
                std::fs::create_dir_all(mail.join(user).join("Maildir").join(sub)).unwrap();
            }
            passwd.push_str(&format!(
                "{user}:{{PLAIN}}{}::::{}\n",
                password(user),
                mail.join(user).display()
            ));
        }
        std::fs::write(root.join("passwd"), passwd).unwrap();
        open_to_all(&mail);
        std::fs::create_dir_all(root.join("run")).unwrap();
        let imaps_port = free_port();
        let smtp_port = free_port();
        let conf = format!(
            r#"protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/run
instance_name = trustdesk-test-{imaps_port}
ssl = required
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 1
log_path = {root}/dovecot.log
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {root}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={mail}/%n
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"#,
            root = root.display(),
            mail = mail.display(),
        );
        std::fs::write(root.join("dovecot.conf"), conf).unwrap();
        let dovecot = Command::new("dovecot")
            .arg("-F")
            .arg("-c")
            .arg(root.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dovecot starts");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let sink = Command::new("python3")
            .arg(script)
            .arg(smtp_port.to_string())
            .arg(&mail)
            .arg(root.join("cert.pem"))
            .arg(root.join("key.pem"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the SMTP sink starts");
        let servers = Self {
            dir,
            imaps_port,
            smtp_port,
            dovecot,
            sink,
        };
        for port in [imaps_port, smtp_port] {
            let mut up = false;
            for _ in 0..100 {
                if tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
                {
                    up = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(
                up,
                "mail server on port {port} did not start: {}",
                servers.log()
            );
        }
        servers
    }

    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// Every mail in the user's mailbox, oldest first, as delivered.
    pub fn mailbox(&self, user: &str) -> Vec<String> {
        let base = self.dir.path().join("mail").join(user).join("Maildir");
        let mut files: Vec<PathBuf> = ["new", "cur"]
            .iter()
            .flat_map(|sub| {
                std::fs::read_dir(base.join(sub))
                    .into_iter()
                    .flatten()
                    .flatten()
            })
            .map(|e| e.path())
            .collect();
        // Delivery names start with the time and a counter.
        files.sort_by_key(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
        files
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .collect()
    }

    /// Waits until the user's mailbox holds at least `count` mails.
    pub async fn wait_for_mail(&self, user: &str, count: usize) -> Vec<String> {
        for _ in 0..300 {
            let mails = self.mailbox(user);
            if mails.len() >= count {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{user} has {} mails, expected {count}",
            self.mailbox(user).len()
        );
    }

    /// Every file under the mail folder (for secret checks of what we sent).
    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}

fn open_to_all(dir: &Path) {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.path().is_dir() {
            open_to_all(&entry.path());
        }
    }
}

impl Drop for MailServers {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: Dovecot's master stops its children (login,
        // auth, imap processes) only when asked.
        let _ = Command::new("kill")
            .arg(self.dovecot.id().to_string())
            .status();
        let _ = self.sink.kill();
        let _ = self.dovecot.wait();
        let _ = self.sink.wait();
    }
}
