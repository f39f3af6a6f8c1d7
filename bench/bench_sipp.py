"""SIPp against the platform's inbound SIP side: calls to a virtual number answered by the media
worker's inbound server (real SIP + RTP, the number's flow speaking), each call's row, reservation,
CDR and settlement written. Prints the rate SIPp reached, its successful and failed calls, and
checks every call got its settled CDR.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal python bench/bench_sipp.py [--calls 500 --rate 50]
Needs Debian's sip-tester (sipp).
"""

import argparse
import re
import subprocess
import time

from _setup import scratch_database, setup_django


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--rate", type=int, default=50, help="new calls per second")
    parser.add_argument("--hold-ms", type=int, default=1000, help="how long SIPp keeps each call up")
    args = parser.parse_args()
    setup_django()
    teardown = scratch_database()
    try:
        from django.db import connections

        from accounts.services.customers import create_customer
        from voice.models import Call, NumberKind, VoiceNumber
        from voice.services import flows, media

        account, _ = create_customer(email="sipp@example.com", password="x", credits_amount="1000000")
        flow = flows.create_flow(
            account=account,
            name="Inbound",
            definition={"steps": [{"id": "a", "type": "say", "text": "Thanks for calling"}]},
        )
        VoiceNumber.objects.create(account=account, number="918068280099", kind=NumberKind.VMN, inbound_flow=flow)
        server = media.inbound_server("127.0.0.1", 0).start()
        start = time.perf_counter()
        result = subprocess.run(  # noqa: S603
            [
                "sipp",
                "-sn",
                "uac",
                f"127.0.0.1:{server.port}",
                "-s",
                "918068280099",
                "-i",
                "127.0.0.1",
                "-r",
                str(args.rate),
                "-m",
                str(args.calls),
                "-d",
                str(args.hold_ms),
                "-timeout",
                "120",
                "-timeout_error",
                "-nostdin",
            ],  # fmt: skip
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - start
        screen = result.stdout
        successful = re.findall(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", screen)
        failed = re.findall(r"Failed call\s*\|\s*\d+\s*\|\s*(\d+)", screen)
        rate = re.findall(r"Call Rate\s*\|\s*[\d.]+ cps\s*\|\s*([\d.]+) cps", screen)
        for _ in range(300):
            if server.finished >= server.answered:
                break
            time.sleep(0.1)
        server.stop()
        settled = Call.objects.filter(source="IN", status="ANSWER", settled=True).count()
        print(
            f"sipp: {args.calls} calls at {args.rate} cps asked, exit {result.returncode}; "
            f"successful {successful[-1] if successful else '?'}, failed {failed[-1] if failed else '?'}, "
            f"average rate {rate[-1] if rate else '?'} cps, {elapsed:.1f} s; "
            f"server answered {server.answered}, rejected {server.rejected}; settled CDRs {settled}"
        )
        connections.close_all()
    finally:
        teardown()


if __name__ == "__main__":
    main()
