package dev.latte.datasets.corpus;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * CSV (RFC 4180: quoted fields may hold commas, quotes and newlines) with a header row, and TSV.
 * TSV has no quoting (MS MARCO's {@code collection.tsv} has bare quotes in its text): a first row
 * that names the id field ({@code _id}, {@code id} or {@code --id-field}) is a header; without one
 * the columns are {@code id<TAB>text}, as in MS MARCO passages. With a header, columns map through
 * the {@link FieldMapping}, and by default every column that is not id, title or text is metadata.
 * Parsing is Apache Commons CSV.
 */
final class DelimitedFormat implements CorpusFormat {
  static final DelimitedFormat CSV = new DelimitedFormat("csv", ',');
  static final DelimitedFormat TSV = new DelimitedFormat("tsv", '\t');

  private final String name;
  private final char delimiter;

  private DelimitedFormat(String name, char delimiter) {
    this.name = name;
    this.delimiter = delimiter;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<String> extensions() {
    return List.of("." + name);
  }

  @Override
  public Reader open(InputFile file, FieldMapping mapping) throws IOException {
    CSVFormat.Builder b =
        (delimiter == ',' ? CSVFormat.RFC4180 : CSVFormat.TDF)
            .builder()
            .setIgnoreEmptyLines(true)
            .setTrim(false)
            .setIgnoreSurroundingSpaces(false);
    if (delimiter == '\t') b.setQuote(null).setEscape(null);
    CSVParser parser =
        CSVParser.builder()
            .setReader(new InputStreamReader(file.open(), StandardCharsets.UTF_8))
            .setFormat(b.get())
            .get();
    Iterator<CSVRecord> rows = parser.iterator();
    return new Reader() {
      List<String> header;
      boolean first = true;

      @Override
      public SourceRecord next() throws IOException {
        try {
          long startLine = parser.getCurrentLineNumber() + 1;
          if (!rows.hasNext()) return null;
          CSVRecord row = rows.next();
          if (first) {
            first = false;
            List<String> cells = row.toList();
            String id = mapping.idField();
            boolean isHeader =
                delimiter == ','
                    || (id == null
                        ? cells.contains("_id") || cells.contains("id")
                        : cells.contains(id));
            if (isHeader) {
              header = cells.stream().map(String::strip).toList();
              if (header.getFirst().startsWith("\uFEFF"))
                header =
                    java.util.stream.Stream.concat(
                            java.util.stream.Stream.of(header.getFirst().substring(1)),
                            header.stream().skip(1))
                        .toList();
              startLine = parser.getCurrentLineNumber() + 1;
              if (!rows.hasNext()) return null;
              row = rows.next();
            }
          }
          String where = file.name() + " line " + startLine;
          ObjectNode node = RecordFields.MAPPER.createObjectNode();
          if (header == null) {
            if (row.size() != 2)
              return SourceRecord.bad(
                  where,
                  row.size()
                      + " columns; a "
                      + name
                      + " without a header row has two, id and text (add a header naming the"
                      + " columns to map more)");
            node.put(mapping.idField() == null ? "id" : mapping.idField(), row.get(0));
            node.put(mapping.textFields().getFirst(), row.get(1));
            return RecordFields.toRecord(node, mapping, where, false);
          }
          if (row.size() != header.size())
            return SourceRecord.bad(where, row.size() + " fields, the header has " + header.size());
          for (int i = 0; i < header.size(); i++) node.put(header.get(i), row.get(i));
          return RecordFields.toRecord(node, mapping, where, true);
        } catch (UncheckedIOException e) {
          throw new IOException(
              file.name()
                  + " near line "
                  + parser.getCurrentLineNumber()
                  + ": "
                  + e.getCause().getMessage()
                  + "; the rest of the file is not read",
              e);
        }
      }

      @Override
      public void close() throws IOException {
        parser.close();
      }
    };
  }
}
