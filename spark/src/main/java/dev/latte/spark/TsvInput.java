package dev.latte.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.datasets.corpus.FieldMapping;
import dev.latte.datasets.corpus.JsonRecords;
import dev.latte.datasets.corpus.SourceRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * TSV through Spark's CSV reader, read as {@code ./latte index} reads TSV: no quoting (MS MARCO's
 * {@code collection.tsv} has bare quotes in its text), empty cells stay empty strings, and a first
 * row naming the id field ({@code _id}, {@code id} or {@code --id-field}) is a header whose columns
 * map through the field mapping (the others becoming metadata); without one the columns are {@code
 * id<TAB>text}. The first line of the input decides for every file (Spark drops each file's header
 * row). A row with another number of fields than the header (or than two) is a bad record, counted
 * and listed as Latte's reader counts it: Spark's PERMISSIVE mode marks it in a corrupt-record
 * column.
 */
final class TsvInput {
  static final String CORRUPT = "_latte_corrupt_record";

  private TsvInput() {}

  static JavaRDD<SparkInput.Positioned> read(SparkSession spark, JobSettings s, String name) {
    FieldMapping mapping = s.mapping();
    List<String> first =
        spark
            .read()
            .text(s.input())
            .limit(1)
            .as(org.apache.spark.sql.Encoders.STRING())
            .collectAsList();
    List<String> header = first.isEmpty() ? List.of() : header(first.getFirst(), mapping);
    boolean hasHeader = !header.isEmpty();
    List<String> columns =
        hasHeader
            ? header
            : List.of(
                mapping.idField() == null ? "id" : mapping.idField(),
                mapping.textFields().getFirst());
    List<StructField> fields = new ArrayList<>();
    for (String c : columns) fields.add(DataTypes.createStructField(c, DataTypes.StringType, true));
    fields.add(DataTypes.createStructField(CORRUPT, DataTypes.StringType, true));
    StructType schema = DataTypes.createStructType(fields);
    JavaRDD<Row> rows =
        spark
            .read()
            .schema(schema)
            .option("sep", "\t")
            .option("quote", "") // no quoting, as Latte's TSV
            .option("escape", "\u0000")
            .option("header", Boolean.toString(hasHeader))
            .option("enforceSchema", "true")
            .option("nullValue", "\u0000") // an empty cell is an empty string, not null
            .option("mode", "PERMISSIVE")
            .option("columnNameOfCorruptRecord", CORRUPT)
            .csv(s.input())
            .javaRDD();
    int n = columns.size();
    // FieldMapping is not Serializable: the tasks take it from the settings.
    return rows.zipWithIndex()
        .map(
            t -> {
              Row row = t._1();
              String where = name + " row " + (t._2() + 1);
              String corrupt = row.getString(n);
              SourceRecord r;
              if (corrupt != null) {
                int got = corrupt.split("\t", -1).length;
                r =
                    SourceRecord.bad(
                        where,
                        hasHeader
                            ? got + " fields, the header has " + n
                            : got
                                + " columns; a tsv without a header row has two, id and text (add"
                                + " a header naming the columns to map more)");
              } else {
                ObjectNode node = Json.MAPPER.createObjectNode();
                for (int i = 0; i < n; i++)
                  node.put(columns.get(i), row.isNullAt(i) ? "" : row.getString(i));
                r = JsonRecords.fromObject(node, s.mapping(), where, hasHeader);
              }
              return new SparkInput.Positioned(0, t._2(), ShardRecord.of(r));
            });
  }

  /** The header's column names when {@code line} is one (it names the id field), else empty. */
  static List<String> header(String line, FieldMapping mapping) {
    if (line.startsWith("\uFEFF")) line = line.substring(1);
    List<String> cells = Arrays.stream(line.split("\t", -1)).map(String::strip).toList();
    String id = mapping.idField();
    boolean isHeader =
        id == null ? cells.contains("_id") || cells.contains("id") : cells.contains(id);
    return isHeader ? cells : List.of();
  }

  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
  }
}
