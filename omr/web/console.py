"""What ``omr review serve`` says on its console: the addresses to open, a warning about plain HTTP on the
network, and waitress's own log lines in Vietnamese.

Bound to every interface (``--host 0.0.0.0``), the app is reached by colleagues at this machine's LAN
addresses, never at ``http://0.0.0.0:PORT/`` (not an address a browser on another machine can open).
"""

from __future__ import annotations

import ipaddress
import logging
import socket

ANY_INTERFACE = ("0.0.0.0", "::", "")
# A documentation-only address (RFC 5737): a UDP socket "connected" to it sends nothing, and tells
# which local address the machine would use to reach the network.
_PROBE_ADDRESS = ("192.0.2.1", 9)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other machines of the network can reach (no loopback), the one of
    its default route first; [] when it has none (no network)."""
    found: list[str] = []
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_PROBE_ADDRESS)
            found.append(probe.getsockname()[0])
    except OSError:
        pass
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        infos = []
    for info in infos:
        found.append(str(info[4][0]))
    return [a for i, a in enumerate(found) if a not in found[:i] and not _is_loopback(a)
            and not ipaddress.ip_address(a).is_unspecified]


def addresses_to_open(host: str, port: int, lan: list[str] | None = None) -> list[str]:
    """The URLs a person opens to reach the app bound to ``host``:``port`` (``lan``: the LAN addresses,
    by default :func:`lan_addresses`). Bound to every interface: one URL per LAN address, then this
    machine's own (127.0.0.1). Plain HTTP: what the app itself serves (with --https, users come through
    the HTTPS server in front, at its own address)."""
    scheme = "http"
    if host in ANY_INTERFACE:
        hosts = [*(lan_addresses() if lan is None else lan), "127.0.0.1"]
    else:
        hosts = [f"[{host}]" if ":" in host else host]
    return [f"{scheme}://{h}:{port}/" for h in hosts]


def plain_http_warning(host: str, https: bool) -> str | None:
    """The Vietnamese warning when the app is open to the network over plain HTTP, else None."""
    if https or _is_loopback(host):
        return None
    return ("Cảnh báo: ứng dụng đang mở cho các máy khác trong mạng bằng HTTP thường (không mã hoá): mật khẩu "
            "và dữ liệu phiếu đi qua mạng ở dạng ai cùng mạng cũng đọc được. Chỉ dùng trong mạng nội bộ tin cậy; "
            "khi người dùng vào qua mạng, hãy đặt một máy chủ HTTPS phía trước và chạy với --https "
            "(xem docs/review-app.md).")


def startup_lines(host: str, port: int, https: bool, database: str, lan: list[str] | None = None) -> list[str]:
    """The lines ``omr review serve`` prints once it listens (Vietnamese).

    With ``https`` (behind an HTTPS server) no http:// address is printed: logging in there fails (the
    session cookie is sent over HTTPS only, the CSRF check wants the HTTPS origin), so people are told to
    use the HTTPS server's address."""
    if https:
        return [f"Ứng dụng kiểm tra phiếu — cơ sở dữ liệu {database}",
                f"Chạy sau máy chủ HTTPS (--https): máy chủ đó chuyển tiếp tới cổng {port} của máy này. "
                "Đồng nghiệp (và chính máy này) mở địa chỉ https:// của máy chủ HTTPS, không mở thẳng cổng "
                f"{port}: vào thẳng thì không đăng nhập được.", "Dừng: Ctrl+C"]
    urls = addresses_to_open(host, port, lan)
    if host not in ANY_INTERFACE:
        lines = [f"Ứng dụng kiểm tra phiếu: {urls[0]} — cơ sở dữ liệu {database}"]
    else:
        lines = [f"Ứng dụng kiểm tra phiếu — cơ sở dữ liệu {database}",
                 "Đồng nghiệp mở một trong các địa chỉ: " + ", ".join(urls[:-1]) if urls[:-1] else
                 "Không thấy địa chỉ mạng nào của máy này: máy khác chưa vào được (kiểm tra kết nối mạng).",
                 f"Trên chính máy này: {urls[-1]}"]
    warning = plain_http_warning(host, https)
    return lines + ([warning] if warning else []) + ["Dừng: Ctrl+C"]


class _QueueDepthInVietnamese(logging.Filter):
    """waitress's «Task queue depth is N» (every request waits for a free thread) said in Vietnamese."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == "Task queue depth is %d":
            record.msg = ("Máy chủ đang bận: %d yêu cầu đang chờ đến lượt (mọi luồng xử lý đều đang làm việc); "
                          "trang có thể chậm trong chốc lát.")
        return True


_FILTER = _QueueDepthInVietnamese()


def vietnamese_waitress_log() -> None:
    """Install the translation on waitress's queue logger (once, however often called)."""
    logger = logging.getLogger("waitress.queue")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
