"""HTTPS on a shelter LAN: a local certificate authority and a certificate for the node's address.

Tablets reach a shelter node at https://192.168.x.x; no public CA signs a private address, and the
live camera needs a secure context. So the node makes its own CA once, devices trust that CA once,
and the server certificate (re-made whenever the address changes) is signed by it.
"""
import datetime
import ipaddress
import socket
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .domain import clock

CA_DAYS = 10 * 365
# iOS refuses TLS server certificates valid for more than 825 days, even under a trusted local CA
SERVER_DAYS = 800
FILES = {"ca_cert": "ca.crt", "ca_key": "ca.key", "cert": "server.crt", "key": "server.key"}


def lan_address():
    """The address other devices on the LAN reach this machine at (the interface of the default
    route; a UDP "connect" sends no packet), or 127.0.0.1 without a network."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write(path, data, private=False):
    path.write_bytes(data)
    if private:
        path.chmod(0o600)


def make_ca(name):
    """(key, certificate) of a new CA that may sign server certificates only (path length 0)."""
    key = _key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "shelter-ops")])
    now = clock.utcnow()  # the one clock (a test or the app config sets it)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_server_cert(ca_key, ca_cert, addresses, names):
    """(key, certificate) for the given IP addresses and host names, signed by the CA."""
    key = _key()
    alt = [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses] + [x509.DNSName(n) for n in names]
    common = (list(addresses) + list(names))[0]
    now = clock.utcnow()  # the one clock (a test or the app config sets it)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=SERVER_DAYS))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def init(folder, *, addresses=None, names=(), ca_name="shelter-ops local CA"):
    """Make (or reuse) the CA in `folder` and a fresh server certificate for `addresses` (default:
    this machine's LAN address and 127.0.0.1) and host `names`. Returns the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {k: folder / v for k, v in FILES.items()}
    if paths["ca_cert"].exists() and paths["ca_key"].exists():
        # devices already trust this CA: keep it, only the server certificate changes
        ca_key = serialization.load_pem_private_key(paths["ca_key"].read_bytes(), password=None)
        ca_cert = x509.load_pem_x509_certificate(paths["ca_cert"].read_bytes())
    else:
        ca_key, ca_cert = make_ca(ca_name)
        _write(paths["ca_key"], _pem_key(ca_key), private=True)
        _write(paths["ca_cert"], ca_cert.public_bytes(serialization.Encoding.PEM))
    addresses = list(dict.fromkeys(addresses or [lan_address(), "127.0.0.1"]))
    names = list(dict.fromkeys(list(names) + ["localhost"]))
    key, cert = make_server_cert(ca_key, ca_cert, addresses, names)
    _write(paths["key"], _pem_key(key), private=True)
    _write(paths["cert"], cert.public_bytes(serialization.Encoding.PEM) +
           ca_cert.public_bytes(serialization.Encoding.PEM))  # the chain, as nginx and gunicorn want it
    return {"addresses": addresses, "names": names, **paths,
            "fingerprint": ca_cert.fingerprint(hashes.SHA256()).hex(":").upper()}


def instructions(result, port=443):
    """What to do next, in Japanese and English: serve with the files, trust the CA on each device."""
    url = f"https://{result['addresses'][0]}" + ("" if port == 443 else f":{port}") + "/"
    return f"""\
証明書を作りました / Certificates written:
  CA (端末に入れる / install on devices): {result['ca_cert']}
  サーバー / server: {result['cert']}  (key {result['key']})
  対象 / valid for: {', '.join(result['addresses'] + result['names'])}
  CA の指紋 SHA-256 / CA fingerprint: {result['fingerprint']}
  ({result['ca_key']} は秘密鍵です。バックアップし、人に渡さないこと / the CA's private key: back it up, never hand it out)

サーバー / serve: nginx の ssl_certificate {result['cert']} と ssl_certificate_key {result['key']}
  (deployment/nginx.conf), or gunicorn --certfile {result['cert']} --keyfile {result['key']}
  then open {url}

iPad / iPhone:
  1. ca.crt を AirDrop・メール・USB で端末に送り、開く → 「プロファイルがダウンロードされました」
     Send ca.crt by AirDrop, mail or USB and open it: "Profile Downloaded".
  2. 設定 → 一般 → VPNとデバイス管理 → shelter-ops local CA → インストール
     Settings → General → VPN & Device Management → the profile → Install.
  3. 設定 → 一般 → 情報 → 証明書信頼設定 → shelter-ops local CA をオン
     Settings → General → About → Certificate Trust Settings → turn on full trust for the CA.
Android:
  1. ca.crt を端末にコピー / copy ca.crt to the device.
  2. 設定 → セキュリティ → 暗号化と認証情報 → 証明書のインストール → CA 証明書
     Settings → Security → Encryption & credentials → Install a certificate → CA certificate
     (the menu names differ a little between makers; search settings for "CA").
  Chrome then trusts {url}. The fingerprint above must match what the device shows.
アドレスが変わったら / when the address changes: run `shelter-ops tls init` again (the CA stays).
"""
