"""A TLS server on loopback for the certificate checks: a test CA issues a certificate per name
(valid, expired, soon expiring, for another name, self-signed) and the server presents the one
for the SNI name it is asked for, or refuses the handshake for a name it has none for (as Caddy
does for a name its `ask` refused)."""

import datetime
import socket
import ssl
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NOW = datetime.datetime.now(datetime.UTC)


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key():
    return ec.generate_private_key(ec.SECP256R1())


class Authority:
    def __init__(self, name="Loopback Test CA"):
        self.key = _key()
        self.name = name
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - datetime.timedelta(days=400))
            .not_valid_after(NOW + datetime.timedelta(days=400))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    def pem(self):
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, name, *, days=90, start_days_ago=1, signer=None):
        """(cert PEM, key PEM) for `name`, valid `days` from `start_days_ago` days ago."""
        key = _key()
        issuer = signer or self
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(issuer.name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - datetime.timedelta(days=start_days_ago))
            .not_valid_after(NOW - datetime.timedelta(days=start_days_ago) + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(issuer.key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return cert.public_bytes(serialization.Encoding.PEM), key_pem


class TlsServer:
    """`certs[sni] = (cert_pem, key_pem)`; handshakes for other names are refused."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.contexts = {}
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.handshakes = []
        self._stop = False
        self._base = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._base.sni_callback = self._pick

    def serve(self, name, cert_pem, key_pem):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert_file, key_file = self.tmp_path / f"{name}.crt", self.tmp_path / f"{name}.key"
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        context.load_cert_chain(cert_file, key_file)
        self.contexts[name] = context
        if len(self.contexts) == 1:  # the base context needs a certificate of its own to start
            self._base.load_cert_chain(cert_file, key_file)

    def _pick(self, tls, name, _context):
        self.handshakes.append(name)
        if name not in self.contexts:
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        tls.context = self.contexts[name]
        return None

    def start(self):
        threading.Thread(target=self._loop, daemon=True).start()
        return self

    def _loop(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(5)
            try:
                with self._base.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)  # the client closes after the handshake
            except (OSError, ssl.SSLError):
                conn.close()

    def stop(self):
        self._stop = True
        self.sock.close()
