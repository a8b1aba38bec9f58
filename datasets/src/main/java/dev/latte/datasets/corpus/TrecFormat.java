package dev.latte.datasets.corpus;

import dev.latte.datasets.Document;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;

/**
 * TREC SGML, as on the TREC disks and in Robust04: {@code <DOC>} blocks, each with a {@code
 * <DOCNO>} and one or more {@code <TEXT>} sections; the title is the first {@code <HEADLINE>},
 * {@code <TITLE>}, {@code <TI>}, {@code <HL>} or {@code <HEAD>}. Markup inside the sections ({@code
 * <P>}, comments) is removed and entities decoded by jsoup; paragraphs ({@code <P>}) and the {@code
 * <TEXT>} sections are separated by blank lines ({@link BlockText}). Tags may share lines. Streams
 * one {@code <DOC>} at a time; one larger than {@value #MAX_DOC_CHARS} characters is a bad record.
 * Files are read as UTF-8 (bytes that are not become U+FFFD): the old disks are ASCII.
 */
final class TrecFormat implements CorpusFormat {
  static final int MAX_DOC_CHARS = 32 << 20;
  private static final Pattern DOCNO =
      Pattern.compile("<DOCNO>\\s*(.*?)\\s*</DOCNO>", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
  private static final Pattern TEXT =
      Pattern.compile("<TEXT>(.*?)</TEXT>", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
  private static final Pattern TITLE =
      Pattern.compile(
          "<(HEADLINE|TITLE|TI|HL|HEAD)>(.*?)</\\1>", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

  @Override
  public String name() {
    return "trec";
  }

  @Override
  public List<String> extensions() {
    return List.of(".trec", ".sgml", ".sgm");
  }

  @Override
  public Reader open(InputFile file, FieldMapping mapping) throws IOException {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(file.open(), StandardCharsets.UTF_8), 1 << 16);
    return new Reader() {
      final ArrayDeque<SourceRecord> ready = new ArrayDeque<>();
      StringBuilder doc;
      boolean overflow;
      long docLine;
      long line;

      @Override
      public SourceRecord next() throws IOException {
        while (ready.isEmpty()) {
          String s = in.readLine();
          if (s == null) {
            if (doc != null) {
              ready.add(
                  SourceRecord.bad(
                      where(docLine), "<DOC> has no </DOC> before the end of the file"));
              doc = null;
              continue;
            }
            return null;
          }
          line++;
          scan(s);
        }
        return ready.poll();
      }

      private void scan(String s) {
        int pos = 0;
        while (pos <= s.length()) {
          if (doc == null) {
            int i = indexOfIgnoreCase(s, "<DOC>", pos);
            if (i < 0) return;
            doc = new StringBuilder();
            overflow = false;
            docLine = line;
            pos = i + 5;
            continue;
          }
          int end = indexOfIgnoreCase(s, "</DOC>", pos);
          int again = indexOfIgnoreCase(s, "<DOC>", pos);
          if (again >= 0 && (end < 0 || again < end)) {
            ready.add(
                SourceRecord.bad(where(docLine), "<DOC> has no </DOC> before the next <DOC>"));
            doc = new StringBuilder();
            overflow = false;
            docLine = line;
            pos = again + 5;
            continue;
          }
          if (end < 0) {
            append(s, pos, s.length());
            doc.append('\n');
            return;
          }
          append(s, pos, end);
          ready.add(overflow ? tooLarge() : parse(doc.toString(), docLine));
          doc = null;
          pos = end + 6;
        }
      }

      private void append(String s, int from, int to) {
        if (overflow) return;
        if (doc.length() + (to - from) > MAX_DOC_CHARS) {
          overflow = true;
          doc.setLength(0);
          return;
        }
        doc.append(s, from, to);
      }

      private SourceRecord tooLarge() {
        return SourceRecord.bad(
            where(docLine), "<DOC> is larger than " + MAX_DOC_CHARS + " characters");
      }

      private SourceRecord parse(String body, long at) {
        Matcher no = DOCNO.matcher(body);
        if (!no.find() || no.group(1).isBlank())
          return SourceRecord.bad(where(at), "<DOC> has no <DOCNO>");
        String id = no.group(1).strip();
        Matcher t = TITLE.matcher(body);
        String title = t.find() ? plain(t.group(2)) : "";
        StringBuilder text = new StringBuilder();
        Matcher m = TEXT.matcher(body);
        while (m.find()) {
          String part = BlockText.of(Jsoup.parseBodyFragment(m.group(1)).body());
          if (part.isEmpty()) continue;
          if (!text.isEmpty()) text.append("\n\n");
          text.append(part);
        }
        return SourceRecord.of(
            where(at) + " (" + id + ")", new Document(id, title, text.toString()));
      }

      private String where(long at) {
        return file.name() + " line " + at;
      }

      @Override
      public void close() throws IOException {
        in.close();
      }
    };
  }

  /** Markup removed and entities decoded, whitespace collapsed (titles: one line). */
  static String plain(String sgml) {
    return Jsoup.parseBodyFragment(sgml).text().strip();
  }

  static int indexOfIgnoreCase(String s, String needle, int from) {
    for (int i = Math.max(0, from), last = s.length() - needle.length(); i <= last; i++)
      if (s.regionMatches(true, i, needle, 0, needle.length())) return i;
    return -1;
  }
}
