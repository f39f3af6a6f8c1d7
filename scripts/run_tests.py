"""`make test`: the main suite, then the browser tests in their own pytest process.

Playwright's event loop breaks asyncio in later tests of the same process, so browser tests run
separately. Without a Chromium they are skipped loudly, or fail when REQUIRE_BROWSER=1 (CI).
"""

import os
import shutil
import subprocess
import sys

NO_TESTS = 5


def chromium_path():
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def pytest(*args, env=None):
    code = subprocess.call([sys.executable, "-m", "pytest", *args], env=env)  # noqa: S603
    return 0 if code == NO_TESTS else code


def main():
    extra = sys.argv[1:]
    workers = os.environ.get("PYTEST_WORKERS", "2")
    main_args = ["--ignore=tests/e2e", *extra]
    if workers not in ("0", "1"):
        main_args = ["-n", workers, *main_args]
    status = pytest(*main_args)

    browser = chromium_path()
    if browser is None:
        banner = "BROWSER TESTS SKIPPED: no Chromium found (install Debian's chromium or set CHROMIUM_PATH)."
        print("\n" + "!" * len(banner) + "\n" + banner + "\n" + "!" * len(banner) + "\n", flush=True)
        if os.environ.get("REQUIRE_BROWSER") == "1":
            return 1
        return status
    env = {**os.environ, "CHROMIUM_PATH": browser, "DJANGO_ALLOW_ASYNC_UNSAFE": "true"}
    browser_status = pytest("tests/e2e", "-p", "no:xdist", env=env)
    return status or browser_status


if __name__ == "__main__":
    sys.exit(main())
