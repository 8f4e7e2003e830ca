#!/usr/bin/env python3
"""A loopback SMTP server for the outbox tests (aiosmtpd).

It accepts every message except those to a recipient whose local part is `reject`, which it
refuses with 550. Each accepted message is written to --out twice: NNNN.eml (the bytes as
received) and NNNN.json (decoded by Python's own e-mail parser: headers, the text and HTML
parts), the JSON renamed into place last so a reader never sees half of it.

It prints `listening PORT` once it accepts connections. It stops when its standard input
closes (the test that started it is gone) or after --lifetime seconds, whichever is first.
It binds 127.0.0.1 only.
"""

import argparse
import asyncio
import json
import os
import sys
from email import policy
from email.parser import BytesParser

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, out):
        self.out = out
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@", 1)[0] == "reject":
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        content = envelope.content
        message = BytesParser(policy=policy.default).parsebytes(content)
        parts = {}
        for part in message.walk():
            if part.is_multipart():
                continue
            parts.setdefault(part.get_content_type(), part.get_content())
        header = lambda name: None if message[name] is None else str(message[name])
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "message_id": header("Message-ID"),
            "subject": header("Subject"),
            "from": header("From"),
            "to": header("To"),
            "date": header("Date"),
            "content_type": message.get_content_type(),
            "text": parts.get("text/plain"),
            "html": parts.get("text/html"),
            "raw_ascii": all(b < 128 for b in content),
        }
        self.count += 1
        name = os.path.join(self.out, f"{self.count:04d}")
        with open(name + ".eml", "wb") as f:
            f.write(content)
        with open(name + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.replace(name + ".tmp", name + ".json")
        return "250 2.0.0 accepted"


async def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--out", required=True, help="directory for the messages")
    parser.add_argument("--lifetime", type=float, default=300.0, help="seconds before exiting")
    args = parser.parse_args()
    loop = asyncio.get_running_loop()
    handler = Sink(args.out)
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="sink.test"), host="127.0.0.1", port=args.port
    )
    port = server.sockets[0].getsockname()[1]
    print(f"listening {port}", flush=True)
    stdin_closed = loop.run_in_executor(None, sys.stdin.read)
    await asyncio.wait([stdin_closed], timeout=args.lifetime)
    server.close()
    os._exit(0)


if __name__ == "__main__":
    asyncio.run(main())
