"""A real SMTP server for the email tests (aiosmtpd), delivering every
accepted mail into the recipient's Maildir the way an MTA does, so
Dovecot serves it over IMAP. The recipient's mailbox is the local part
before any "+tag" (support+abc@desk.test -> support).

    python3 smtp_sink.py PORT MAIL_ROOT CERT KEY

STARTTLS is offered with CERT/KEY; plain sessions are accepted too (the
sink only listens on 127.0.0.1)."""

import asyncio
import os
import ssl
import sys
import time
import itertools

from aiosmtpd.controller import Controller

COUNTER = itertools.count()


class MaildirDelivery:
    def __init__(self, root):
        self.root = root

    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            user = rcpt.split("@", 1)[0].split("+", 1)[0].lower()
            base = os.path.join(self.root, user, "Maildir")
            for sub in ("tmp", "new", "cur"):
                os.makedirs(os.path.join(base, sub), exist_ok=True)
            name = "%d.%06d_%d.sink" % (time.time(), next(COUNTER), os.getpid())
            tmp = os.path.join(base, "tmp", name)
            with open(tmp, "wb") as f:
                f.write(envelope.original_content)
            os.chmod(tmp, 0o644)
            os.rename(tmp, os.path.join(base, "new", name))
        return "250 OK delivered"


def main():
    port, root, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    controller = Controller(
        MaildirDelivery(root),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=False,
    )
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
