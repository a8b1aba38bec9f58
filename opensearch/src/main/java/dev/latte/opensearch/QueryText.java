package dev.latte.opensearch;

import dev.latte.core.TokenMatrix;
import java.io.IOException;
import org.opensearch.core.common.ParsingException;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.common.io.stream.Writeable;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.index.mapper.MappedFieldType;
import org.opensearch.index.query.QueryShardContext;
import org.opensearch.index.query.QueryShardException;

/**
 * A query sent as text ({@code "query_text": T, "model": M}) rather than vectors: what Latte's
 * queries carry until the coordinating node rewrites them, encoding T with its installed model M.
 * Also the matrix (de)serialization the query builders share.
 */
record QueryText(String text, String model) implements Writeable {

  QueryText(StreamInput in) throws IOException {
    this(in.readString(), in.readString());
  }

  @Override
  public void writeTo(StreamOutput out) throws IOException {
    out.writeString(text);
    out.writeString(model);
  }

  void toXContent(XContentBuilder builder) throws IOException {
    builder.field("query_text", text);
    builder.field("model", model);
  }

  /**
   * After parsing a query: its text (null when it has vectors), or a parse error naming what is
   * missing. The model must be installed on the coordinating node, which parses the request.
   */
  static QueryText parsed(
      XContentParser parser,
      String query,
      boolean hasVectors,
      String text,
      String model,
      LatteModels models) {
    if (hasVectors) {
      if (text != null || model != null) {
        throw new ParsingException(
            parser.getTokenLocation(),
            "[" + query + "] takes query_vectors or query_text (with model), not both");
      }
      return null;
    }
    if (text == null) {
      throw new ParsingException(
          parser.getTokenLocation(),
          "["
              + query
              + "] needs [query_vectors] (the query's token vectors [[float, ...], ...]) or"
              + " [query_text] with [model] (an installed Latte model)");
    }
    if (text.isBlank()) {
      throw new ParsingException(parser.getTokenLocation(), "[" + query + "] query_text is empty");
    }
    if (model == null) {
      throw new ParsingException(
          parser.getTokenLocation(),
          "["
              + query
              + "] query_text needs [model]: the name of a Latte model folder in the nodes'"
              + " config/"
              + LatteModels.FOLDER);
    }
    try {
      models.folder(model);
    } catch (IllegalArgumentException e) {
      throw new ParsingException(parser.getTokenLocation(), "[" + query + "] " + e.getMessage());
    }
    return new QueryText(text, model);
  }

  /** Encodes the text with this node's copy of the model. */
  TokenMatrix encode(LatteModels models, String query) {
    if (models == null) {
      throw new IllegalStateException("[" + query + "] query_text reached a node without models");
    }
    return models.encodeQuery(model, text);
  }

  /**
   * The {@code latte_tokens} field a rewritten query scores, checked on the shard: the query's text
   * was encoded (the request went through the coordinating node's rewrite), the field is mapped as
   * {@code latte_tokens}, and the query vectors have its dims. Errors name the query and the field.
   */
  static LatteTokensFieldMapper.LatteTokensFieldType targetField(
      QueryShardContext context, String query, String field, TokenMatrix queryVectors) {
    if (queryVectors == null) {
      throw new QueryShardException(
          context, "[" + query + "] query_text was not encoded: the request was not rewritten");
    }
    MappedFieldType type = context.fieldMapper(field);
    if (!(type instanceof LatteTokensFieldMapper.LatteTokensFieldType latte)) {
      throw new QueryShardException(
          context,
          "["
              + query
              + "] field ["
              + field
              + "] is "
              + (type == null ? "not mapped" : "of type [" + type.typeName() + "]")
              + "; it must be a ["
              + LatteTokensFieldMapper.CONTENT_TYPE
              + "] field");
    }
    int dims = latte.settings().dims();
    if (queryVectors.dim() != dims) {
      throw new QueryShardException(
          context,
          "["
              + query
              + "] query_vectors have "
              + queryVectors.dim()
              + " values per row; field ["
              + field
              + "] has dims "
              + dims);
    }
    return latte;
  }

  /**
   * A Latte query holds either its vectors or its text (until rewritten), never both nor neither.
   */
  static void requireOne(String query, TokenMatrix vectors, QueryText text) {
    if ((vectors == null) == (text == null)) {
      throw new IllegalArgumentException(
          "[" + query + "] takes either query_vectors or query_text (with model), not both");
    }
  }

  /**
   * Writes a query's vectors or text; {@link #readMatrixIfPresent} and {@code
   * readOptionalWriteable(QueryText::new)} read them back.
   */
  static void writeQuery(StreamOutput out, TokenMatrix vectors, QueryText text) throws IOException {
    out.writeBoolean(vectors != null);
    if (vectors != null) writeMatrix(out, vectors);
    out.writeOptionalWriteable(text);
  }

  static TokenMatrix readMatrixIfPresent(StreamInput in) throws IOException {
    return in.readBoolean() ? readMatrix(in) : null;
  }

  /** A query's {@code query_vectors}, or its {@code query_text} and {@code model}. */
  static void queryXContent(XContentBuilder builder, TokenMatrix vectors, QueryText text)
      throws IOException {
    if (vectors != null) matrixXContent(builder, "query_vectors", vectors);
    else text.toXContent(builder);
  }

  static TokenMatrix readMatrix(StreamInput in) throws IOException {
    int rows = in.readVInt();
    int dim = in.readVInt();
    return new TokenMatrix(in.readFloatArray(), rows, dim);
  }

  static void writeMatrix(StreamOutput out, TokenMatrix m) throws IOException {
    out.writeVInt(m.rows());
    out.writeVInt(m.dim());
    out.writeFloatArray(m.data());
  }

  static void matrixXContent(XContentBuilder builder, String name, TokenMatrix m)
      throws IOException {
    builder.startArray(name);
    for (int r = 0; r < m.rows(); r++) {
      builder.startArray();
      for (int d = 0; d < m.dim(); d++) builder.value(m.get(r, d));
      builder.endArray();
    }
    builder.endArray();
  }
}
