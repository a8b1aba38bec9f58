package dev.latte.datasets.corpus;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.latte.core.TokenMatrix;
import dev.latte.datasets.Document;
import dev.latte.datasets.NpyMatrix;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Precomputed token vectors in NumPy files, the shapes PyLate and ColBERT users have: a 3-d array
 * {@code (documents, max_tokens, dim)} padded with all-zero rows (or cut by a doclens file), or a
 * 2-d array {@code (all_tokens, dim)} of every document's rows one after the other with a doclens
 * file (ColBERT's {@code doclens.json}: each document's row count). The ids file names each
 * document, one per line ({@code --ids}, default {@code ids.txt} beside the array); the doclens
 * file is {@code --doclens}, default {@code doclens.json} beside it when present. Streams one
 * document at a time. A document with a non-finite component is a bad record.
 */
final class NpyFormat implements CorpusFormat {
  @Override
  public String name() {
    return "npy";
  }

  @Override
  public List<String> extensions() {
    return List.of(".npy");
  }

  @Override
  public Reader open(InputFile file, FieldMapping mapping) throws IOException {
    Path dir = file.path().toAbsolutePath().getParent();
    Path idsFile = mapping.idsFile() != null ? mapping.idsFile() : dir.resolve("ids.txt");
    if (!Files.isRegularFile(idsFile))
      throw new IOException(
          file.name()
              + ": no ids file "
              + idsFile
              + " (one document id per line; give it with --ids FILE)");
    Path lensFile = mapping.doclensFile();
    if (lensFile == null && Files.isRegularFile(dir.resolve("doclens.json")))
      lensFile = dir.resolve("doclens.json");
    DataInputStream in = new DataInputStream(file.open());
    NpyMatrix.Header h;
    try {
      h = NpyMatrix.header(in, file.name());
    } catch (IOException e) {
      in.close();
      throw e;
    }
    if (h.shape().length == 2 && lensFile == null) {
      in.close();
      throw new IOException(
          file.name()
              + " is 2-d "
              + java.util.Arrays.toString(h.shape())
              + ": give each document's row count with --doclens FILE (a JSON array or one"
              + " number per line), or save a 3-d (documents, tokens, dim) array");
    }
    BufferedReader ids = Files.newBufferedReader(idsFile, StandardCharsets.UTF_8);
    Lengths lens = lensFile == null ? null : new Lengths(lensFile);
    long docs = h.shape().length == 3 ? h.shape()[0] : Long.MAX_VALUE;
    int maxRows = h.shape().length == 3 ? Math.toIntExact(h.shape()[1]) : Integer.MAX_VALUE;
    long totalRows = h.shape().length == 2 ? h.shape()[0] : -1;
    int dim = h.dim();
    return new Reader() {
      long doc;
      long rowsRead;

      @Override
      public SourceRecord next() throws IOException {
        if (doc >= docs) {
          if (ids.readLine() != null)
            throw new IOException(
                idsFile + " has more ids than " + file.name() + " has documents (" + docs + ")");
          return null;
        }
        Long len = lens == null ? null : lens.next();
        if (h.shape().length == 2 && len == null) {
          if (rowsRead != totalRows)
            throw new IOException(
                "the doclens add up to "
                    + rowsRead
                    + " rows, "
                    + file.name()
                    + " has "
                    + totalRows);
          return null;
        }
        String id = ids.readLine();
        String where = file.name() + " document " + doc;
        if (id == null)
          throw new IOException(
              idsFile + " has " + doc + " ids; " + file.name() + " has more documents");
        float[] v;
        int rows;
        if (h.shape().length == 3) {
          float[] all = h.readRows(in, maxRows);
          rows = len != null ? (int) Math.min(len, maxRows) : unpadded(all, maxRows, dim);
          v = rows == maxRows ? all : java.util.Arrays.copyOf(all, rows * dim);
        } else {
          if (len < 0 || rowsRead + len > totalRows)
            throw new IOException(
                "doclens entry "
                    + doc
                    + " ("
                    + len
                    + ") runs past the "
                    + totalRows
                    + " rows of "
                    + file.name());
          rows = Math.toIntExact(len);
          v = h.readRows(in, rows);
          rowsRead += rows;
        }
        doc++;
        id = id.strip();
        if (id.isEmpty()) return SourceRecord.bad(where, "blank id in " + idsFile);
        if (rows == 0) return SourceRecord.bad(where, "document " + id + " has no token vectors");
        for (int i = 0; i < v.length; i++)
          if (!Float.isFinite(v[i]))
            return SourceRecord.bad(
                where,
                "document "
                    + id
                    + ": vector row "
                    + (i / dim)
                    + " component "
                    + (i % dim)
                    + " is "
                    + v[i]);
        return SourceRecord.withVectors(
            where, new Document(id, "", ""), new TokenMatrix(v, rows, dim), null);
      }

      /**
       * Steps over whole documents without decoding them: the same ids and lengths are consumed as
       * {@link #next()} would, and the data bytes are skipped.
       */
      @Override
      public long skip(long n) throws IOException {
        long done = 0;
        while (done < n && doc < docs) {
          Long len = lens == null ? null : lens.next();
          if (h.shape().length == 2 && len == null) break;
          if (ids.readLine() == null) {
            // next() reports this as the end of the ids; let it.
            throw new IOException(
                idsFile + " has " + doc + " ids; " + file.name() + " has more documents");
          }
          long rows;
          if (h.shape().length == 3) rows = maxRows;
          else {
            if (len < 0 || rowsRead + len > totalRows)
              throw new IOException(
                  "doclens entry " + doc + " (" + len + ") runs past the " + totalRows + " rows");
            rows = len;
            rowsRead += len;
          }
          in.skipNBytes(rows * h.rowBytes());
          doc++;
          done++;
        }
        return done;
      }

      @Override
      public void close() throws IOException {
        try (in;
            ids) {
          if (lens != null) lens.close();
        }
      }
    };
  }

  /** Rows before the trailing all-zero padding rows. */
  static int unpadded(float[] v, int rows, int dim) {
    int r = rows;
    outer:
    while (r > 0) {
      for (int c = 0; c < dim; c++) if (v[(r - 1) * dim + c] != 0f) break outer;
      r--;
    }
    return r;
  }

  /** Row counts, streamed: a JSON array of integers or one integer per line. */
  private static final class Lengths implements AutoCloseable {
    private final Path file;
    private final InputStream raw;
    private final JsonParser json;
    private final BufferedReader lines;
    private long n;

    Lengths(Path file) throws IOException {
      this.file = file;
      this.raw = new java.io.BufferedInputStream(Files.newInputStream(file));
      raw.mark(64);
      int c;
      do c = raw.read();
      while (c == ' ' || c == '\n' || c == '\r' || c == '\t');
      raw.reset();
      if (c == '[') {
        json = RecordFields.MAPPER.createParser(raw);
        if (json.nextToken() != JsonToken.START_ARRAY)
          throw new IOException(file + ": not an array");
        lines = null;
      } else {
        json = null;
        lines = new BufferedReader(new java.io.InputStreamReader(raw, StandardCharsets.UTF_8));
      }
    }

    Long next() throws IOException {
      n++;
      if (json != null) {
        JsonToken t = json.nextToken();
        if (t == JsonToken.END_ARRAY || t == null) return null;
        if (t != JsonToken.VALUE_NUMBER_INT)
          throw new IOException(file + " entry " + n + " is not an integer");
        return json.getLongValue();
      }
      String s;
      do s = lines.readLine();
      while (s != null && s.isBlank());
      if (s == null) return null;
      try {
        return Long.parseLong(s.strip());
      } catch (NumberFormatException e) {
        throw new IOException(file + " line " + n + " is not an integer: " + s);
      }
    }

    @Override
    public void close() throws IOException {
      raw.close();
    }
  }
}
