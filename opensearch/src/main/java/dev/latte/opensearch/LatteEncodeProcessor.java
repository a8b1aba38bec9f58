package dev.latte.opensearch;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.TokenCodec;
import java.util.Base64;
import java.util.Map;
import org.opensearch.ingest.AbstractProcessor;
import org.opensearch.ingest.ConfigurationUtils;
import org.opensearch.ingest.IngestDocument;
import org.opensearch.ingest.Processor;

/**
 * {@code {"latte_encode": {"model": M, "field": "text", "target_field": "tokens"}}}: encodes a text
 * field with an installed Latte model ({@link LatteModels}) during ingest, as Latte's index writer
 * encodes a document (one passage), and writes the token matrix into {@code target_field} — a
 * {@code latte_tokens} field, which re-codes it to its own codec and pooling. The matrix is written
 * as the base64 of Latte's float32 stored layout (what the field accepts as a string): a quarter of
 * the size of JSON rows in {@code _source}, and exact.
 */
final class LatteEncodeProcessor extends AbstractProcessor {
  static final String TYPE = "latte_encode";

  private final LatteModels models;
  private final String model;
  private final String field;
  private final String targetField;
  private final boolean ignoreMissing;

  LatteEncodeProcessor(
      String tag,
      String description,
      LatteModels models,
      String model,
      String field,
      String targetField,
      boolean ignoreMissing) {
    super(tag, description);
    this.models = models;
    this.model = model;
    this.field = field;
    this.targetField = targetField;
    this.ignoreMissing = ignoreMissing;
  }

  @Override
  public IngestDocument execute(IngestDocument document) {
    String text = document.getFieldValue(field, String.class, ignoreMissing);
    if (text == null) {
      if (ignoreMissing) return document;
      throw new IllegalArgumentException(
          "[" + TYPE + "] field [" + field + "] is null: send text, or set ignore_missing");
    }
    TokenMatrix m = models.encodeDocument(model, text);
    document.setFieldValue(
        targetField, Base64.getEncoder().encodeToString(TokenCodec.FLOAT32.encode(m)));
    return document;
  }

  @Override
  public String getType() {
    return TYPE;
  }

  /** Reads the processor's configuration; an unknown or uninstalled model fails the pipeline. */
  static final class Factory implements Processor.Factory {
    private final LatteModels models;

    Factory(LatteModels models) {
      this.models = models;
    }

    @Override
    public Processor create(
        Map<String, Processor.Factory> factories,
        String tag,
        String description,
        Map<String, Object> config) {
      String model = ConfigurationUtils.readStringProperty(TYPE, tag, config, "model");
      String field = ConfigurationUtils.readStringProperty(TYPE, tag, config, "field");
      String target = ConfigurationUtils.readStringProperty(TYPE, tag, config, "target_field");
      boolean ignoreMissing =
          ConfigurationUtils.readBooleanProperty(TYPE, tag, config, "ignore_missing", false);
      try {
        models.folder(model);
      } catch (IllegalArgumentException e) {
        throw ConfigurationUtils.newConfigurationException(TYPE, tag, "model", e.getMessage());
      }
      return new LatteEncodeProcessor(
          tag, description, models, model, field, target, ignoreMissing);
    }
  }
}
