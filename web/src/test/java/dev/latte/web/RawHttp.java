package dev.latte.web;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket to loopback, one request per connection: the fuzzer's client, which
 * must send what {@link java.net.http.HttpClient} refuses to (any method token, raw bytes in the
 * path, malformed escapes, odd headers).
 */
final class RawHttp {
  private RawHttp() {}

  record Answer(int status, Map<String, String> headers, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /** The bytes of a request; {@code target} raw (sent as given, byte for byte, as ISO-8859-1). */
  static byte[] request(
      String method, byte[] target, Map<String, String> headers, byte[] body, boolean length) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(method.getBytes(StandardCharsets.ISO_8859_1));
    b.write(' ');
    b.writeBytes(target);
    b.writeBytes(" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".getBytes());
    for (var h : headers.entrySet())
      b.writeBytes((h.getKey() + ": " + h.getValue() + "\r\n").getBytes(StandardCharsets.UTF_8));
    if (body != null && length)
      b.writeBytes(("Content-Length: " + body.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
    b.writeBytes("\r\n".getBytes());
    if (body != null) b.writeBytes(body);
    return b.toByteArray();
  }

  /** Sends {@code request} and reads the whole answer; throws on a timeout or no answer. */
  static Answer send(int port, byte[] request, int timeoutMillis) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(timeoutMillis);
      s.setTcpNoDelay(true);
      OutputStream out = s.getOutputStream();
      try {
        out.write(request);
        out.flush();
      } catch (IOException e) {
        // The server may answer (413, 400) and close before the whole body is sent: read it.
      }
      InputStream in = s.getInputStream();
      byte[] all = in.readAllBytes();
      return parse(all);
    }
  }

  static Answer parse(byte[] all) throws IOException {
    int headEnd = indexOf(all, "\r\n\r\n".getBytes(), 0);
    if (headEnd < 0)
      throw new IOException(
          "no complete answer ("
              + all.length
              + " bytes): "
              + new String(all, StandardCharsets.ISO_8859_1));
    String head = new String(all, 0, headEnd, StandardCharsets.ISO_8859_1);
    String[] lines = head.split("\r\n");
    String[] statusLine = lines[0].split(" ", 3);
    int status = Integer.parseInt(statusLine[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int c = lines[i].indexOf(':');
      if (c > 0)
        headers.put(
            lines[i].substring(0, c).trim().toLowerCase(java.util.Locale.ROOT),
            lines[i].substring(c + 1).trim());
    }
    int start = headEnd + 4;
    byte[] rest = java.util.Arrays.copyOfRange(all, start, all.length);
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) rest = dechunk(rest);
    return new Answer(status, headers, rest);
  }

  private static byte[] dechunk(byte[] b) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int i = 0;
    while (true) {
      int eol = indexOf(b, "\r\n".getBytes(), i);
      if (eol < 0) throw new IOException("truncated chunked body");
      String size = new String(b, i, eol - i, StandardCharsets.US_ASCII);
      int semi = size.indexOf(';');
      int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
      if (n == 0) return out.toByteArray();
      if (eol + 2 + n > b.length) throw new IOException("truncated chunk");
      out.write(b, eol + 2, n);
      i = eol + 2 + n + 2;
    }
  }

  private static int indexOf(byte[] a, byte[] p, int from) {
    outer:
    for (int i = from; i + p.length <= a.length; i++) {
      for (int j = 0; j < p.length; j++) if (a[i + j] != p[j]) continue outer;
      return i;
    }
    return -1;
  }
}
