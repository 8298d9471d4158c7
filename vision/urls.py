"""Camera stream URLs: which ones are acceptable, how they are shown, and what FFmpeg may open for them.

The one place for these rules; cameras (validation, admin, API), the workers and the vision core all use it.
Pure Python: no Django, no OpenCV.

- :func:`stream_url_problem` says why a URL may not be a camera URL (None when it may): ``rtsp``, ``rtsps``,
  ``http`` or ``https`` with a host, an optional port 1..65535, printable ASCII only, at most 1000 characters.
  Private LAN addresses are fine (cameras live there); FFmpeg meta-protocols (``concat:``, ``subfile:``,
  ``file:``, ``pipe:``, ``data:`` ...) never are.
- :func:`mask_url` hides credentials in free text (an error message that echoes a URL); :func:`mask_stream_url`
  masks one stored URL and never raises: a value that is not a clean URL is masked whole.
- :func:`ffmpeg_capture_options` is the ``OPENCV_FFMPEG_CAPTURE_OPTIONS`` value for a network stream: a protocol
  whitelist, so a stream (or a playlist or redirect it serves) can never make FFmpeg open a local file.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote

STREAM_SCHEMES = ("rtsp", "rtsps", "http", "https")
MAX_URL_LENGTH = 1000

# What FFmpeg may open for a network stream: rtsp(s) needs tcp (interleaved), udp + rtp (UDP transport) and tls;
# http(s) needs tcp, tls and httpproxy (http_proxy), HLS playlists over http(s) crypto (AES segments). rtmp only
# for operator-typed rtmp:// sources (edge config, analyze_video); camera URLs cannot be rtmp.
FFMPEG_NETWORK_PROTOCOLS = ("rtsp", "rtsps", "rtp", "srtp", "udp", "tcp", "tls", "http", "https", "httpproxy",
                            "crypto")
_RTMP_PROTOCOLS = ("rtmp", "rtmps", "rtmpt", "rtmpts")

# Query or path parameters whose value is a secret (compared case-insensitively, also as a part of a name
# such as access_token or api-key).
SECRET_PARAMETERS = frozenset({"password", "pass", "pwd", "passwd", "token", "key", "secret", "auth", "api_key",
                               "apikey", "passphrase", "credentials", "signature", "sig"})

_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_URL_IN_TEXT_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S*")
_SPACED_USERINFO_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)(?=[^/@\r\n]*\s)[^/@\r\n]*@")
_PARAM_RE = re.compile(r"([?&;/])([^=?&;/#\s]+)=([^&;#/\s]*)")
_HOST_RE = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?")
_FULLY_MASKED = "***"


# --------------------------------------------------------------------------------------------- masking


def _secret_parameter(name: str) -> bool:
    key = unquote(name).lower()
    return key in SECRET_PARAMETERS or any(part in SECRET_PARAMETERS for part in re.split(r"[-_.]", key))


def _mask_parameters(text: str) -> str:
    def sub(m: re.Match) -> str:
        return f"{m.group(1)}{m.group(2)}=***" if _secret_parameter(m.group(2)) else m.group(0)

    return _PARAM_RE.sub(sub, text)


def _mask_one(url: str, keep_username: bool) -> str:
    """``scheme://userinfo@host/path?query`` with the userinfo's secret and secret parameters replaced."""
    match = _SCHEME_RE.match(url)
    if match is None:
        return _FULLY_MASKED
    scheme, rest = match.group(1), url[match.end():]
    try:
        before_query = re.split(r"[?#]", rest, maxsplit=1)[0]
        authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
        userinfo_end = authority.rfind("@")
        standard = userinfo_end != -1
        if not standard:
            # an '@' after a '/' but before the query: a userinfo holding a raw '/' (FFmpeg may still read it so).
            userinfo_end = before_query.rfind("@")
        masked_userinfo = ""
        if userinfo_end != -1:
            userinfo = rest[:userinfo_end]
            if standard and ":" in userinfo:
                username = userinfo.split(":", 1)[0]
                masked_userinfo = (f"{username}:***" if keep_username else "***:***") + "@"
            else:
                masked_userinfo = "***@"  # a lone userinfo can be a token: hide it whole
            rest = rest[userinfo_end + 1:]
        return f"{scheme}://{masked_userinfo}{_mask_parameters(rest)}"
    except Exception:  # never let masking fail: show nothing of the URL
        return f"{scheme}://{_FULLY_MASKED}"


def mask_url(text: str, *, keep_username: bool = False) -> str:
    """Hide credentials in every URL of ``text``: ``rtsp://user:pw@host/x`` -> ``rtsp://***:***@host/x``
    (``user:***@`` with ``keep_username``), a lone userinfo ``rtsp://token@host`` -> ``rtsp://***@host``, and
    secret parameters (``?password=...``, ``&token=...``, ``/pwd=...``) -> ``password=***``.

    For free text (an OpenCV or FFmpeg message that echoes the URL); never raises."""
    if not text:
        return text
    try:
        # a userinfo with a raw space ("rtsp://u:p w@host") first: the URL tokens below end at whitespace
        text = _SPACED_USERINFO_RE.sub(lambda m: f"{m.group(1)}***@", str(text))
        return _URL_IN_TEXT_RE.sub(lambda m: _mask_one(m.group(0), keep_username), text)
    except Exception:
        return _FULLY_MASKED


def mask_stream_url(url: str, *, keep_username: bool = True) -> str:
    """One stored camera URL, masked for display; never raises and never returns a secret.

    A value that is not a clean URL (no ``scheme://``, spaces or control characters, another parse problem) is
    masked whole (``rtsp://***``), so rows stored before validation existed can always be listed."""
    if not url:
        return url
    try:
        text = str(url)
        match = _SCHEME_RE.match(text)
        if match is None:
            # a path or a meta-protocol (concat:..., subfile:...): shown only when nothing in it can be a secret
            return text if re.fullmatch(r"[A-Za-z0-9_./:|,+-]*", text) and "@" not in text else _FULLY_MASKED
        if any(not 33 <= ord(ch) < 127 for ch in text):
            return f"{match.group(1)}://{_FULLY_MASKED}"
        return _mask_one(text, keep_username)
    except Exception:
        return _FULLY_MASKED


# ------------------------------------------------------------------------------------------ validation


def _port_problem(text: str) -> str | None:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
        return "port must be an integer from 1 to 65535"
    return None


def stream_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a camera stream URL, or None when it can. An empty URL is for the caller to judge."""
    if not isinstance(url, str):
        return "must be text"
    if len(url) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters"
    if any(not 33 <= ord(ch) < 127 for ch in url):
        return "may not contain spaces, control or non-ASCII characters (percent-encode them)"
    match = _SCHEME_RE.match(url)
    if match is None or match.group(1).lower() not in STREAM_SCHEMES:
        return "must be an rtsp://, rtsps://, http:// or https:// URL with a host"
    rest = url[match.end():]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    hostport = authority.rsplit("@", 1)[-1]
    if hostport.startswith("["):  # IPv6 literal: [fd00::10]:554
        close = hostport.find("]")
        if close == -1:
            return "malformed IPv6 address (missing ']')"
        host, after = hostport[1:close], hostport[close + 1:]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return "malformed IPv6 address"
        if after and not after.startswith(":"):
            return "malformed host (text after the IPv6 address)"
        port = after[1:] if after else None
    else:
        host, sep, port = hostport.partition(":")
        port = port if sep else None
        if not host:
            return "must name a host (rtsp://camera-host:554/stream)"
        if not _HOST_RE.fullmatch(host):
            return "the host must be a host name or an IP address"
    if port is not None:
        return _port_problem(port)
    return None


def is_camera_stream_url(url: str) -> bool:
    return bool(url) and stream_url_problem(url) is None


# ----------------------------------------------------------------------------------------------- FFmpeg


def ffmpeg_protocol_whitelist(url: str) -> str:
    """The FFmpeg protocols a network stream may use: never ``file``, ``pipe``, ``concat``, ``subfile``, ``data``."""
    protocols = list(FFMPEG_NETWORK_PROTOCOLS)
    match = _SCHEME_RE.match(str(url))
    if match and match.group(1).lower() in _RTMP_PROTOCOLS:
        protocols += _RTMP_PROTOCOLS
    return ",".join(protocols)


def _parse_options(text: str | None) -> dict[str, str]:
    options: dict[str, str] = {}
    for pair in (text or "").split("|"):
        key, sep, value = pair.partition(";")
        if sep and key.strip():
            options[key.strip()] = value
    return options


def ffmpeg_capture_options(url: str, base: str | None = None) -> str:
    """``OPENCV_FFMPEG_CAPTURE_OPTIONS`` ("key;value|key;value") for opening the network stream ``url``.

    ``base``: options the operator set in that variable (rtsp_transport;udp, ...): kept, except that the protocol
    whitelist is always ours (an operator value cannot widen it)."""
    options = {"rtsp_transport": "tcp"}  # UDP loses packets (grey smeared frames) on busy store networks
    options.update(_parse_options(base))
    for key in ("protocol_whitelist", "protocol_blacklist"):
        options.pop(key, None)
    options["protocol_whitelist"] = ffmpeg_protocol_whitelist(url)
    return "|".join(f"{key};{value}" for key, value in options.items())


def ffmpeg_file_options(base: str | None = None) -> str:
    """The same variable for a local video file an operator named (offline commands): local files only."""
    options = {key: value for key, value in _parse_options(base).items()
               if key not in ("protocol_whitelist", "protocol_blacklist")}
    options["protocol_whitelist"] = "file"
    return "|".join(f"{key};{value}" for key, value in options.items())
