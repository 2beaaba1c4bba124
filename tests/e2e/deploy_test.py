"""Installing for real: `make install`'s script lays out the binaries, the
settings file and a hardened systemd unit that systemd-analyze accepts; the
Dockerfile builds an image that answers /readyz where a container runtime
runs (skipped, saying so, where none does)."""

import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.request

from server import BINARY

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.path.join(os.path.dirname(BINARY), "latchkey")

HARDENING = ["User=latchkey", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
             "PrivateTmp=yes", "StateDirectory=latchkey", "StateDirectoryMode=0700",
             "CapabilityBoundingSet=", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
             "SystemCallFilter=@system-service"]


def install(dest, **env):
    e = dict(os.environ, DESTDIR=dest, PREFIX="/usr/local", **env)
    return subprocess.run(["bash", os.path.join(ROOT, "scripts", "install.sh"), BINARY, CLI],
                          capture_output=True, text=True, env=e, timeout=60)


class InstallTest(unittest.TestCase):
    def test_install_lays_out_binaries_settings_and_a_hardened_unit(self):
        with tempfile.TemporaryDirectory() as dest:
            done = install(dest)
            self.assertEqual(done.returncode, 0, done.stderr)
            binary = os.path.join(dest, "usr/local/bin/latchkeyd")
            version = subprocess.run([binary, "--version"], capture_output=True, text=True)
            self.assertRegex(version.stdout, r"^latchkeyd \d+\.\d+\.\d+")
            self.assertTrue(os.access(os.path.join(dest, "usr/local/bin/latchkey"), os.X_OK))
            unit_path = os.path.join(dest, "etc/systemd/system/latchkeyd.service")
            with open(unit_path) as f:
                unit = f.read().splitlines()
            for line in HARDENING:
                self.assertIn(line, unit)
            self.assertIn("ExecStart=/usr/local/bin/latchkeyd --data-dir /var/lib/latchkey", unit)
            settings = os.path.join(dest, "etc/latchkey/latchkeyd.env")
            self.assertEqual(os.stat(settings).st_mode & 0o777, 0o640)
            # A second install keeps settings someone edited.
            with open(settings, "a") as f:
                f.write("LATCHKEY_LOG_LEVEL=debug\n")
            self.assertEqual(install(dest).returncode, 0)
            with open(settings) as f:
                self.assertIn("LATCHKEY_LOG_LEVEL=debug", f.read())

    @unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze is not installed")
    def test_systemd_analyze_verifies_the_unit(self):
        with tempfile.TemporaryDirectory() as dest:
            self.assertEqual(install(dest).returncode, 0)
            unit = os.path.join(dest, "etc/systemd/system/latchkeyd.service")
            # Checked where the binary really is: the unit names /usr/local/bin.
            checked = os.path.join(dest, "latchkeyd.service")
            with open(unit) as f:
                text = f.read().replace("/usr/local/bin/latchkeyd",
                                        os.path.join(dest, "usr/local/bin/latchkeyd"))
            with open(checked, "w") as f:
                f.write(text)
            result = subprocess.run(["systemd-analyze", "verify", "--man=no", checked],
                                    capture_output=True, text=True, timeout=60)
            problems = [line for line in (result.stdout + result.stderr).splitlines()
                        if "latchkeyd.service" in line]
            self.assertEqual((result.returncode, problems), (0, []), result.stderr)


def container_runtime():
    docker = shutil.which("docker") or shutil.which("podman")
    if not docker:
        return None, "no docker or podman here"
    info = subprocess.run([docker, "info"], capture_output=True, text=True, timeout=30)
    if info.returncode != 0:
        return None, "%s is installed but no daemon answers (%s)" % (
            os.path.basename(docker), info.stderr.strip().splitlines()[-1:])
    return docker, ""


class ContainerTest(unittest.TestCase):
    def test_the_image_builds_and_answers_readyz_read_only_as_non_root(self):
        docker, why = container_runtime()
        if not docker:
            self.skipTest("container test skipped: " + why)
        tag = "latchkey-test:%d" % os.getpid()
        build = subprocess.run([docker, "build", "-t", tag, ROOT], capture_output=True,
                               text=True, timeout=1800)
        self.assertEqual(build.returncode, 0, build.stderr[-2000:])
        run = subprocess.run([docker, "run", "-d", "--read-only", "-p", "127.0.0.1::8080",
                              "--tmpfs", "/tmp", tag], capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        container = run.stdout.strip()
        try:
            port = subprocess.run([docker, "port", container, "8080"], capture_output=True,
                                  text=True).stdout.split(":")[-1].strip()
            user = subprocess.run([docker, "exec", container, "id", "-u"], capture_output=True,
                                  text=True).stdout.strip()
            self.assertNotEqual(user, "0")
            deadline = time.time() + 60
            status = None
            while time.time() < deadline and status != 200:
                try:
                    status = urllib.request.urlopen(
                        "http://127.0.0.1:%s/readyz" % port, timeout=5).status
                except OSError:
                    time.sleep(0.5)  # the container is starting; nothing to wait on but the port
            self.assertEqual(status, 200)
        finally:
            subprocess.run([docker, "rm", "-f", container], capture_output=True)
            subprocess.run([docker, "rmi", "-f", tag], capture_output=True)


if __name__ == "__main__":
    unittest.main()
