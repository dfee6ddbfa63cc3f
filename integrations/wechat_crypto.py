"""WeChat server-message security: URL signatures, safe-mode AES (msg_signature), and XML that cannot carry entities.

Written against WeChat's published algorithm rather than taken from
wechatpy, whose signature checks compare with `!=`; every comparison here is
constant-time (hmac.compare_digest).

- signature     = sha1 of the sorted, concatenated [token, timestamp, nonce]
- msg_signature = sha1 of the sorted, concatenated [token, timestamp, nonce, Encrypt]
- Encrypt       = base64(AES-256-CBC(key, iv = key[:16],
                  PKCS#7 to 32 bytes(random 16 bytes + len(msg) as 4 bytes big-endian + msg + appid)))
  where key = base64(EncodingAESKey + "=") (43 characters -> 32 bytes).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
import xml.etree.ElementTree as ElementTree
from typing import Dict, Optional

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32  # WeChat pads to 32 bytes, not AES's 16
MAX_BODY = 64 * 1024


class Refused(ValueError):
    """A request that is not WeChat's or not well-formed: answered 400/403, never parsed further."""


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signature_ok(expected: Optional[str], *parts: str) -> bool:
    return bool(expected) and hmac.compare_digest(sign(*parts).encode(), expected.encode("utf-8", "replace"))


def parse_xml(body: bytes) -> Dict[str, str]:
    """The flat fields of a WeChat XML message; a DOCTYPE or an entity declaration is refused outright."""
    if len(body) > MAX_BODY:
        raise Refused("body too large")
    head = body.upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise Refused("XML with a DOCTYPE or entities")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise Refused(f"not XML: {error}") from error
    if root.tag != "xml":
        raise Refused("not a WeChat message")
    return {child.tag: (child.text or "") for child in root}


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


class SafeMode:
    """Decrypts WeChat's safe-mode requests and encrypts our passive replies."""

    def __init__(self, token: str, encoding_aes_key: str, appid: str) -> None:
        if len(encoding_aes_key) != 43:
            raise ValueError("WECHAT_AES_KEY must be the 43-character EncodingAESKey")
        self.token, self.appid = token, appid
        self.key = base64.b64decode(encoding_aes_key + "=")

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def decrypt(self, encrypted: str, msg_signature: Optional[str], timestamp: str, nonce: str) -> bytes:
        if not signature_ok(msg_signature, self.token, timestamp, nonce, encrypted):
            raise Refused("wrong msg_signature")
        try:
            data = base64.b64decode(encrypted, validate=True)
            decryptor = self._cipher().decryptor()
            plain = decryptor.update(data) + decryptor.finalize()
        except (ValueError, TypeError) as error:
            raise Refused(f"undecryptable: {error}") from error
        pad = plain[-1] if plain else 0
        if not 1 <= pad <= BLOCK or len(plain) < 20 + pad:
            raise Refused("bad padding")
        plain = plain[:-pad]
        (length,) = struct.unpack(">I", plain[16:20])
        message, appid = plain[20:20 + length], plain[20 + length:]
        if not hmac.compare_digest(appid, self.appid.encode()):
            raise Refused("message for another app")
        return message

    def encrypt(self, message: str, timestamp: str, nonce: str, random: Optional[bytes] = None) -> Dict[str, str]:
        raw = message.encode()
        plain = (random or os.urandom(16)) + struct.pack(">I", len(raw)) + raw + self.appid.encode()
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        encryptor = self._cipher().encryptor()
        encrypted = base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()
        return {"Encrypt": encrypted, "MsgSignature": sign(self.token, timestamp, nonce, encrypted),
                "TimeStamp": timestamp, "Nonce": nonce}

    def envelope(self, message: str, timestamp: str, nonce: str) -> str:
        fields = self.encrypt(message, timestamp, nonce)
        return (f"<xml><Encrypt>{cdata(fields['Encrypt'])}</Encrypt>"
                f"<MsgSignature>{cdata(fields['MsgSignature'])}</MsgSignature>"
                f"<TimeStamp>{timestamp}</TimeStamp><Nonce>{cdata(nonce)}</Nonce></xml>")
