package dev.latte.indexer;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * Where an indexing job stands, stored in the index's commit user data under {@value #KEY}
 * atomically with the documents it counts (so after a kill the last commit and its state always
 * agree), and for people in {@value #FILE} beside the segments together with the bad records.
 *
 * @param input the input as given
 * @param inputFingerprint the input's content fingerprint ({@code Corpus#fingerprint})
 * @param settings what decides the index's content (format, field mapping, model, codec, pooling,
 *     batch size): a re-run with other values is another job
 * @param position records before this ordinal are done (indexed or skipped) and committed
 * @param done the whole input was read and committed
 * @param startSeq the first write sequence number of this job: an id already in the index with a
 *     lower one was there before the job (replaced), with a higher one it is a duplicate in the
 *     input
 * @param seconds time spent in all runs of the job, up to the last commit
 * @param runs how many runs the job took (1 + resumptions)
 * @param failedAt with {@code --on-error fail}: the bad record that stopped the job, else null
 */
public record JobState(
    String input,
    String inputFingerprint,
    Map<String, String> settings,
    long position,
    boolean done,
    long startSeq,
    Counters counters,
    double seconds,
    int runs,
    String failedAt) {
  public static final String KEY = "latte.job";
  public static final String FILE = "latte-job.json";

  /**
   * @param read records read (good and bad)
   * @param indexed documents written (new or replacing)
   * @param replaced of those, documents whose id was in the index before this job
   * @param skippedEmpty records with neither text nor title (nor vectors)
   * @param skippedDuplicate records whose id came earlier in the input (the first one is kept)
   * @param skippedError malformed records, records without id, bad vectors, unreadable files
   * @param tokens token vectors encoded (or given), before pooling
   * @param passages passages written (a document not cut by --long-docs is one)
   */
  public record Counters(
      long read,
      long indexed,
      long replaced,
      long skippedEmpty,
      long skippedDuplicate,
      long skippedError,
      long tokens,
      long passages) {
    public static final Counters ZERO = new Counters(0, 0, 0, 0, 0, 0, 0, 0);

    /** Counters of a job that writes one passage per document. */
    public Counters(
        long read,
        long indexed,
        long replaced,
        long skippedEmpty,
        long skippedDuplicate,
        long skippedError,
        long tokens) {
      this(read, indexed, replaced, skippedEmpty, skippedDuplicate, skippedError, tokens, indexed);
    }

    public long skipped() {
      return skippedEmpty + skippedDuplicate + skippedError;
    }
  }

  /** One record that was not indexed, and why. */
  public record Problem(long ordinal, String location, String kind, String reason) {
    public static final String ERROR = "error";
    public static final String EMPTY = "empty";
    public static final String DUPLICATE = "duplicate";

    @Override
    public String toString() {
      return location + ": " + reason;
    }
  }

  /** {@value #FILE}: the state and every problem of the job (up to {@link IndexJob#MAX_LISTED}). */
  public record Report(JobState state, List<Problem> problems, long problemsNotListed) {}

  static final ObjectMapper MAPPER =
      new ObjectMapper()
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public String toJson() {
    try {
      return MAPPER.writeValueAsString(this);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static JobState fromJson(String json) {
    try {
      return MAPPER.readValue(json, JobState.class);
    } catch (IOException e) {
      throw new UncheckedIOException("the index's job state is not valid JSON", e);
    }
  }

  /** Same input content and settings: the same job. */
  public boolean sameJob(String fingerprint, Map<String, String> otherSettings) {
    return inputFingerprint.equals(fingerprint) && settings.equals(otherSettings);
  }
}
