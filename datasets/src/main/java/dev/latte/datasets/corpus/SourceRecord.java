package dev.latte.datasets.corpus;

import dev.latte.core.TokenMatrix;
import dev.latte.datasets.Document;

/**
 * One record of a collection as a reader saw it: a document (with its precomputed token vectors
 * when the input carries them), or a record that could not be read, with the reason. Readers never
 * drop a record silently: a malformed line, a record without an id, bad vectors or an unreadable
 * file each come out as a bad record, and the job counts and lists it.
 *
 * @param ordinal position in the whole input (0-based, over all files, bad records included): a
 *     job's resume position counts these
 * @param location where the record is, for people: {@code file line N} or {@code file offset N}
 * @param document the document, or null for a bad record
 * @param vectors its precomputed token vectors (one row per token), or null when a model encodes
 * @param tokens the token string of each vector row when the input gives them, else null
 * @param problem why the record is bad, or null
 */
public record SourceRecord(
    long ordinal,
    String location,
    Document document,
    TokenMatrix vectors,
    String[] tokens,
    String problem) {

  public static SourceRecord of(String location, Document document) {
    return new SourceRecord(-1, location, document, null, null, null);
  }

  public static SourceRecord withVectors(
      String location, Document document, TokenMatrix vectors, String[] tokens) {
    return new SourceRecord(-1, location, document, vectors, tokens, null);
  }

  public static SourceRecord bad(String location, String problem) {
    return new SourceRecord(-1, location, null, null, null, problem);
  }

  public boolean isBad() {
    return problem != null;
  }

  SourceRecord at(long ordinal) {
    return new SourceRecord(ordinal, location, document, vectors, tokens, problem);
  }
}
