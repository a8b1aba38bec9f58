package dev.latte.datasets.corpus;

import dev.latte.datasets.DatasetException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.stream.Stream;

/**
 * What {@code ./latte index --input} names, resolved to files in a fixed order: a file; a glob
 * ({@code 'shards/*.jsonl.gz'}); a BEIR folder (its {@code corpus.jsonl}); or any other folder,
 * whose files of known formats are read in path order (a folder of {@code .txt}/{@code .md}/{@code
 * .html} files is one document per file, ids = relative paths). Hidden files and folders (names
 * starting with a dot) are left out. The order is the same on every run, so a record's {@link
 * SourceRecord#ordinal ordinal} identifies it across runs: resumed jobs count on it.
 */
public final class Corpus {
  private final String input;
  private final List<InputFile> files;
  private final List<CorpusFormat> formats;
  private final List<String> ignored;
  private final FieldMapping mapping;

  private Corpus(
      String input,
      List<InputFile> files,
      List<CorpusFormat> formats,
      List<String> ignored,
      FieldMapping mapping) {
    this.input = input;
    this.files = files;
    this.formats = formats;
    this.ignored = ignored;
    this.mapping = mapping;
  }

  /**
   * @param format a {@link CorpusFormats} name for every file, or null to detect by extension
   */
  public static Corpus open(String input, String format, FieldMapping mapping) {
    CorpusFormat forced = format == null ? null : CorpusFormats.byName(format);
    Path p = Path.of(input).toAbsolutePath().normalize();
    List<InputFile> files = new ArrayList<>();
    List<String> ignored = new ArrayList<>();
    if (Files.isRegularFile(p)) {
      files.add(InputFile.of(p));
    } else if (Files.isDirectory(p)) {
      Path beir = beirCorpus(p);
      if (beir != null && forced == null) files.add(InputFile.of(beir));
      else walk(p, null, files, ignored, forced);
    } else if (isGlob(input)) {
      String abs = p.toString();
      int cut = firstGlobChar(abs);
      Path base = Path.of(abs.substring(0, abs.lastIndexOf('/', cut) + 1));
      String pattern = abs.substring(base.toString().length()).replaceFirst("^/", "");
      if (!Files.isDirectory(base))
        throw new DatasetException("input " + input + ": folder " + base + " not found");
      walk(
          base, FileSystems.getDefault().getPathMatcher("glob:" + pattern), files, ignored, forced);
      if (files.isEmpty())
        throw new DatasetException("input " + input + " matches no file of a known format");
    } else {
      throw new DatasetException(
          "input not found: "
              + p
              + " (give a file, a folder or a glob; formats: "
              + CorpusFormats.extensions()
              + ")");
    }
    List<CorpusFormat> formats = new ArrayList<>();
    for (InputFile f : files) {
      CorpusFormat fmt = forced != null ? forced : CorpusFormats.detect(f);
      if (fmt == null)
        throw new DatasetException(
            "input "
                + f
                + ": unknown format; give --format ("
                + CorpusFormats.names()
                + ") or use an extension: "
                + CorpusFormats.extensions());
      formats.add(fmt);
    }
    if (files.isEmpty())
      throw new DatasetException(
          "input " + p + " holds no file of a known format (" + CorpusFormats.extensions() + ")");
    return new Corpus(
        input, List.copyOf(files), List.copyOf(formats), List.copyOf(ignored), mapping);
  }

  private static Path beirCorpus(Path dir) {
    for (String n : new String[] {"corpus.jsonl", "corpus.jsonl.gz"})
      if (Files.isRegularFile(dir.resolve(n))) return dir.resolve(n);
    return null;
  }

  private static void walk(
      Path base,
      PathMatcher matcher,
      List<InputFile> files,
      List<String> ignored,
      CorpusFormat forced) {
    try (Stream<Path> s = Files.walk(base)) {
      s.filter(Files::isRegularFile)
          .map(f -> base.relativize(f))
          .filter(rel -> !hidden(rel))
          .filter(rel -> matcher == null || matcher.matches(rel))
          .map(rel -> rel.toString().replace('\\', '/'))
          .sorted()
          .forEach(
              rel -> {
                InputFile f = new InputFile(base.resolve(rel), rel);
                if (forced != null || CorpusFormats.detect(f) != null) files.add(f);
                else ignored.add(rel);
              });
    } catch (IOException | UncheckedIOException e) {
      throw new DatasetException("cannot list " + base + ": " + e.getMessage(), e);
    }
  }

  private static boolean hidden(Path rel) {
    for (Path part : rel) if (part.toString().startsWith(".")) return true;
    return false;
  }

  private static boolean isGlob(String s) {
    return firstGlobChar(s) >= 0;
  }

  private static int firstGlobChar(String s) {
    for (int i = 0; i < s.length(); i++) if ("*?[{".indexOf(s.charAt(i)) >= 0) return i;
    return -1;
  }

  public String input() {
    return input;
  }

  public List<InputFile> files() {
    return files;
  }

  public FieldMapping mapping() {
    return mapping;
  }

  /** Files in the input folder that no format reads (unknown extensions). */
  public List<String> ignored() {
    return ignored;
  }

  /** The formats used, e.g. {@code jsonl} or {@code text,jsonl}. */
  public String formatLabel() {
    return String.join(",", formats.stream().map(CorpusFormat::name).distinct().toList());
  }

  /** For messages and the index's provenance: the single file, or the input as given. */
  public String description() {
    return files.size() == 1 ? files.getFirst().path().toString() : input;
  }

  /**
   * Records cheaply countable without parsing (one per text file, one per non-blank JSONL line), or
   * -1 when a file's format cannot say without reading it whole.
   */
  public long estimateCount() {
    long n = 0;
    for (int i = 0; i < files.size(); i++) {
      String f = formats.get(i).name();
      if (f.equals("text")) n++;
      else if (f.equals("jsonl")) n += nonBlankLines(files.get(i));
      else return -1;
    }
    return n;
  }

  private static long nonBlankLines(InputFile f) {
    try (InputStream in = f.open()) {
      long lines = 0;
      boolean nonBlank = false;
      byte[] buf = new byte[1 << 16];
      for (int r = in.read(buf); r >= 0; r = in.read(buf))
        for (int i = 0; i < r; i++) {
          byte b = buf[i];
          if (b == '\n') {
            if (nonBlank) lines++;
            nonBlank = false;
          } else if (b != ' ' && b != '\t' && b != '\r') nonBlank = true;
        }
      return nonBlank ? lines + 1 : lines;
    } catch (IOException e) {
      return 0; // the reader reports it as a bad record
    }
  }

  /**
   * SHA-256 (first 16 bytes, hex) of the input's content: for one file its decompressed bytes (so a
   * gzipped and a plain copy agree), for several each one's collection name and bytes in order,
   * plus the ids and doclens files of {@code .npy} input. Any change of content, file set or order
   * changes it; moving or touching files does not. Reads everything once.
   */
  public String fingerprint() {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      List<Path> extra = new ArrayList<>();
      for (int i = 0; i < files.size(); i++) {
        InputFile f = files.get(i);
        if (files.size() > 1) {
          sha.update(f.name().getBytes(java.nio.charset.StandardCharsets.UTF_8));
          sha.update((byte) 0);
        }
        try (InputStream in = f.open()) {
          for (int n = in.read(buf); n >= 0; n = in.read(buf)) sha.update(buf, 0, n);
        } catch (IOException e) {
          sha.update(("unreadable:" + e.getMessage()).getBytes());
        }
        if (formats.get(i).name().equals("npy")) {
          Path dir = f.path().getParent();
          extra.add(mapping.idsFile() != null ? mapping.idsFile() : dir.resolve("ids.txt"));
          extra.add(
              mapping.doclensFile() != null ? mapping.doclensFile() : dir.resolve("doclens.json"));
        }
      }
      for (Path e : extra.stream().distinct().toList()) {
        if (!Files.isRegularFile(e)) continue;
        sha.update(e.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        try (InputStream in = Files.newInputStream(e)) {
          for (int n = in.read(buf); n >= 0; n = in.read(buf)) sha.update(buf, 0, n);
        }
      }
      return "sha256:" + HexFormat.of().formatHex(sha.digest(), 0, 16);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the input " + input, e);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** Every record from the first. */
  public Records records() {
    return records(0);
  }

  /**
   * Every record from ordinal {@code from} on; the ones before are stepped over ({@link
   * CorpusFormat.Reader#skip}), not built.
   */
  public Records records(long from) {
    return new Records(from);
  }

  /**
   * The records of every file in order, with their ordinals. A file that cannot be opened, or whose
   * rest cannot be read, gives one bad record and the next file follows.
   */
  public final class Records implements Iterator<SourceRecord>, Closeable {
    private int file = -1;
    private CorpusFormat.Reader reader;
    private long ordinal;
    private long toSkip;
    private SourceRecord next;

    private Records(long from) {
      this.toSkip = from;
      this.ordinal = from;
    }

    @Override
    public boolean hasNext() {
      while (next == null) {
        if (reader == null) {
          if (++file >= files.size()) return false;
          InputFile f = files.get(file);
          try {
            reader = formats.get(file).open(f, mapping);
          } catch (IOException | RuntimeException e) {
            SourceRecord bad = SourceRecord.bad(f.name(), "cannot read the file: " + message(e));
            if (toSkip > 0) toSkip--;
            else next = bad.at(ordinal++);
            continue;
          }
        }
        try {
          if (toSkip > 0) {
            long skipped = reader.skip(toSkip);
            toSkip -= skipped;
            if (toSkip > 0) closeReader();
            continue;
          }
          SourceRecord r = reader.next();
          if (r == null) closeReader();
          else next = r.at(ordinal++);
        } catch (IOException | RuntimeException e) {
          InputFile f = files.get(file);
          closeReader();
          SourceRecord bad =
              SourceRecord.bad(f.name(), "the rest of the file cannot be read: " + message(e));
          if (toSkip > 0) toSkip--;
          else next = bad.at(ordinal++);
        }
      }
      return true;
    }

    @Override
    public SourceRecord next() {
      if (!hasNext()) throw new NoSuchElementException();
      SourceRecord r = next;
      next = null;
      return r;
    }

    private void closeReader() {
      try {
        if (reader != null) reader.close();
      } catch (IOException ignored) {
        // a reader that fails to close has nothing more to give
      }
      reader = null;
    }

    @Override
    public void close() {
      closeReader();
      file = files.size();
    }
  }

  private static String message(Exception e) {
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : m;
  }
}
