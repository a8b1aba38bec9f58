package dev.latte.datasets.corpus;

import dev.latte.datasets.Document;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;

/**
 * One document per file, as in a folder of notes or saved pages: {@code .txt}, {@code .md} and
 * {@code .html}. The id is the file's path relative to the input folder ({@code notes/a.md}). HTML
 * becomes text through jsoup (scripts, styles and markup dropped, entities decoded; the charset
 * from the page or UTF-8), its title from {@code <title>}, else the first heading; Markdown's title
 * is its first {@code #} heading. Text and Markdown must be UTF-8; a file that is not is a bad
 * record. A file larger than {@value #MAX_BYTES} bytes is a bad record too.
 */
final class TextFileFormat implements CorpusFormat {
  static final int MAX_BYTES = 64 << 20;
  private static final Pattern MD_HEADING = Pattern.compile("(?m)^#{1,6}[ \\t]+(.+?)[ \\t#]*$");

  @Override
  public String name() {
    return "text";
  }

  @Override
  public List<String> extensions() {
    return List.of(".txt", ".md", ".markdown", ".html", ".htm", ".xhtml");
  }

  @Override
  public Reader open(InputFile file, FieldMapping mapping) throws IOException {
    return new Reader() {
      boolean done;

      @Override
      public SourceRecord next() throws IOException {
        if (done) return null;
        done = true;
        String id = file.plainCollectionName();
        String where = file.name();
        byte[] bytes;
        try (InputStream in = file.open()) {
          bytes = in.readNBytes(MAX_BYTES + 1);
        }
        if (bytes.length > MAX_BYTES)
          return SourceRecord.bad(where, "larger than " + MAX_BYTES + " bytes");
        String n = file.plainName();
        if (n.endsWith(".html") || n.endsWith(".htm") || n.endsWith(".xhtml")) {
          org.jsoup.nodes.Document page =
              Jsoup.parse(new java.io.ByteArrayInputStream(bytes), null, "");
          String title = page.title().strip();
          if (title.isEmpty()) {
            Element h = page.selectFirst("h1, h2, h3, h4, h5, h6");
            if (h != null) title = h.text().strip();
          }
          return SourceRecord.of(where, new Document(id, title, BlockText.of(page.body())));
        }
        String text;
        try {
          text =
              StandardCharsets.UTF_8
                  .newDecoder()
                  .onMalformedInput(CodingErrorAction.REPORT)
                  .onUnmappableCharacter(CodingErrorAction.REPORT)
                  .decode(ByteBuffer.wrap(bytes))
                  .toString();
        } catch (CharacterCodingException e) {
          return SourceRecord.bad(where, "not UTF-8 text (" + e.getMessage() + ")");
        }
        if (!text.isEmpty() && text.charAt(0) == '\uFEFF') text = text.substring(1);
        String title = "";
        if (n.endsWith(".md") || n.endsWith(".markdown")) {
          Matcher m = MD_HEADING.matcher(text);
          if (m.find()) title = m.group(1).strip();
        }
        return SourceRecord.of(where, new Document(id, title, text.strip()));
      }

      @Override
      public void close() {}
    };
  }
}
