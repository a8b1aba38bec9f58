package dev.latte.indexer;

import dev.latte.datasets.Document;
import dev.latte.datasets.corpus.Corpus;
import dev.latte.datasets.corpus.SourceRecord;
import dev.latte.encoders.EncodedPassages;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/**
 * An indexing job over a whole input: reads its records, skips and lists bad, empty and duplicate
 * ones, encodes the rest on several threads (or takes their precomputed vectors), and commits every
 * {@code commitEvery} records or {@code commitSeconds} with its {@link JobState} in the same
 * commit. Killed at any moment (SIGKILL included) and re-run with the same input and settings, it
 * continues after the last commit — the committed records are stepped over, not encoded again — and
 * ends with the index an uninterrupted run gives: commits fall on window boundaries of fixed record
 * ordinals, so the same documents form the same batches either way.
 *
 * <p>Memory is bounded independently of the input's size: two windows of records in flight ({@link
 * EncodingPipeline}), the ids seen since the last commit (at most one commit interval), Lucene's
 * indexing buffer ({@link LatteIndexWriter#ramBufferMb()}), and the first {@value #MAX_LISTED}
 * problems.
 */
public final class IndexJob {
  public enum OnError {
    SKIP,
    FAIL
  }

  /**
   * @param commitEvery records between commits (rounded up to a whole number of windows)
   * @param commitSeconds commit at the next window boundary once this long has passed
   */
  public record Options(long commitEvery, double commitSeconds, OnError onError) {
    public static final long DEFAULT_COMMIT_EVERY = 4096;
    public static final Options DEFAULT = new Options(DEFAULT_COMMIT_EVERY, 300, OnError.SKIP);
  }

  /**
   * @param state the job's state after this run
   * @param resumedFrom the ordinal this run started at (0 for a fresh job)
   * @param alreadyDone the job was complete before this run: nothing was read
   * @param indexedThisRun documents written in this run
   * @param secondsThisRun this run's time
   * @param problems the listed problems of the whole job, in input order
   * @param problemsNotListed problems counted but beyond {@link #MAX_LISTED}
   */
  public record Result(
      JobState state,
      long resumedFrom,
      boolean alreadyDone,
      long indexedThisRun,
      long tokensThisRun,
      double secondsThisRun,
      List<JobState.Problem> problems,
      long problemsNotListed) {}

  /**
   * Thrown with {@code --on-error fail} at the first bad record, after committing what precedes it.
   */
  public static final class StoppedOnError extends RuntimeException {
    public StoppedOnError(String message) {
      super(message);
    }
  }

  /** Problems kept in memory and listed in {@value JobState#FILE}; more are only counted. */
  public static final int MAX_LISTED = 100_000;

  private final RecordSource corpus;
  private final String fingerprint;
  private final LatteIndexWriter writer;
  private final EncodingPipeline pipeline;
  private final Map<String, String> settings;
  private final Options options;
  private final boolean vectors;
  private final Path indexDir;

  private final List<JobState.Problem> problems = new ArrayList<>();
  private long problemsNotListed;
  private final Set<String> sinceCommit = new HashSet<>();
  private final AtomicLong indexed = new AtomicLong();
  private final AtomicLong tokens = new AtomicLong();
  private final AtomicLong passages = new AtomicLong();
  private long read, replaced, empty, duplicate, errors;

  /** Documents admitted in this run: each one's number is its input position for the writer. */
  private long admitted;

  private DirectoryReader committed;

  /**
   * Where a job's records come from, in order, with ordinals 0, 1, 2...: a {@link Corpus} (files),
   * or any other ordered stream, such as the records of one shard in a distributed job.
   */
  public interface RecordSource {
    /** What the input is called in the job's state and report. */
    String input();

    /** The records from ordinal {@code from} on. */
    Records records(long from) throws IOException;
  }

  /** An ordered, closeable stream of records. */
  public interface Records extends java.util.Iterator<SourceRecord>, java.io.Closeable {}

  /** A {@link Corpus} as a record source. */
  private static RecordSource of(Corpus corpus) {
    return new RecordSource() {
      @Override
      public String input() {
        return corpus.input();
      }

      @Override
      public Records records(long from) {
        Corpus.Records r = corpus.records(from);
        return new Records() {
          @Override
          public boolean hasNext() {
            return r.hasNext();
          }

          @Override
          public SourceRecord next() {
            return r.next();
          }

          @Override
          public void close() {
            r.close();
          }
        };
      }
    };
  }

  /**
   * @param vectors the records carry precomputed vectors (the writer has no model)
   */
  public IndexJob(
      Corpus corpus,
      String fingerprint,
      LatteIndexWriter writer,
      EncodingPipeline pipeline,
      Map<String, String> settings,
      Options options,
      boolean vectors,
      Path indexDir) {
    this(of(corpus), fingerprint, writer, pipeline, settings, options, vectors, indexDir);
  }

  /** A job over any ordered record source (see {@link RecordSource}). */
  public IndexJob(
      RecordSource corpus,
      String fingerprint,
      LatteIndexWriter writer,
      EncodingPipeline pipeline,
      Map<String, String> settings,
      Options options,
      boolean vectors,
      Path indexDir) {
    this.corpus = corpus;
    this.fingerprint = fingerprint;
    this.writer = writer;
    this.pipeline = pipeline;
    this.settings = Map.copyOf(settings);
    this.options = options;
    this.vectors = vectors;
    this.indexDir = indexDir;
  }

  /** The job's state in the index's last commit, or null when no job ever committed there. */
  public static JobState committedState(LatteIndexWriter writer) {
    String json = writer.lastCommitData().get(JobState.KEY);
    return json == null ? null : JobState.fromJson(json);
  }

  public Result run(IndexProgress progress) throws Exception {
    long t0 = System.nanoTime();
    JobState prior = committedState(writer);
    long start = 0;
    long startSeq = writer.nextSeq();
    double priorSeconds = 0;
    int runs = 1;
    if (prior != null && prior.sameJob(fingerprint, settings)) {
      if (prior.done()) {
        restoreProblems(prior.position());
        return new Result(prior, prior.position(), true, 0, 0, 0, problems, problemsNotListed);
      }
      start = prior.position();
      startSeq = prior.startSeq();
      priorSeconds = prior.seconds();
      runs = prior.runs() + 1;
      JobState.Counters c = prior.counters();
      read = c.read();
      indexed.set(c.indexed());
      replaced = c.replaced();
      empty = c.skippedEmpty();
      duplicate = c.skippedDuplicate();
      errors = c.skippedError();
      tokens.set(c.tokens());
      passages.set(c.passages());
      restoreProblems(start);
    } else if (prior != null && !prior.done()) {
      throw new IndexMismatchException(
          "index "
              + indexDir
              + " holds an unfinished job over "
              + prior.input()
              + " (input "
              + prior.inputFingerprint()
              + ", settings "
              + prior.settings()
              + ") that is not this one (input "
              + fingerprint
              + ", settings "
              + settings
              + "); re-run that job's command to finish it, or delete the folder (or choose"
              + " another --index) to start fresh");
    }
    final long resumedFrom = start;
    final long indexedBefore = indexed.get();
    final long tokensBefore = tokens.get();
    int window = pipeline.windowSize();
    long every = Math.max(window, (options.commitEvery() + window - 1) / window * window);
    committed = writer.openNrtReader();
    try (EncodingPipeline.Session session = pipeline.start(this::write, progress);
        Records records = corpus.records(start)) {
      List<EncodingPipeline.Item> batch = new ArrayList<>(window);
      long lastCommit = start;
      long lastCommitNanos = System.nanoTime();
      long windowEnd = (start / window + 1) * window;
      long next = start;
      while (records.hasNext()) {
        SourceRecord r = records.next();
        while (r.ordinal() >= windowEnd) {
          session.submit(batch);
          batch = new ArrayList<>(window);
          // A commit trains a pending residual codebook on what it holds, so while one is pending
          // only the count decides (a clock-chosen commit would make the codebook depend on speed).
          boolean due =
              windowEnd - lastCommit >= every
                  || (!writer.codebookPending()
                      && (System.nanoTime() - lastCommitNanos) / 1e9 >= options.commitSeconds());
          if (due) {
            session.drain();
            commit(windowEnd, false, startSeq, priorSeconds + secondsSince(t0), runs, null);
            lastCommit = windowEnd;
            lastCommitNanos = System.nanoTime();
          }
          windowEnd += window;
        }
        next = r.ordinal() + 1;
        EncodingPipeline.Item item = admit(r, startSeq);
        if (item != null) {
          batch.add(item);
        } else if (r.isBad() && options.onError() == OnError.FAIL) {
          session.submit(batch);
          session.drain();
          String at = r.location() + ": " + r.problem();
          // The bad record itself is not counted as read: a re-run with --on-error skip
          // starts at it.
          read--;
          errors--;
          if (problemsNotListed > 0) problemsNotListed--;
          else problems.removeLast();
          commit(r.ordinal(), false, startSeq, priorSeconds + secondsSince(t0), runs, at);
          throw new StoppedOnError(
              "stopped at "
                  + at
                  + " (--on-error fail); the "
                  + indexed.get()
                  + " documents before it are committed. Fix the record and index into a new"
                  + " folder, or re-run with --on-error skip to skip it and go on");
        }
      }
      session.submit(batch);
      session.drain();
      JobState s = commit(next, true, startSeq, priorSeconds + secondsSince(t0), runs, null);
      return new Result(
          s,
          resumedFrom,
          false,
          indexed.get() - indexedBefore,
          tokens.get() - tokensBefore,
          secondsSince(t0),
          problems,
          problemsNotListed);
    } finally {
      committed.close();
    }
  }

  /** The item to index for {@code r}, or null when it is skipped (counted and listed). */
  private EncodingPipeline.Item admit(SourceRecord r, long startSeq) throws IOException {
    read++;
    if (r.isBad()) {
      errors++;
      problem(r, JobState.Problem.ERROR, r.problem());
      return null;
    }
    Document d = r.document();
    int dim = writer.metadata().dimension();
    if (vectors) {
      if (r.vectors() == null) {
        errors++;
        problem(
            r,
            JobState.Problem.ERROR,
            "document "
                + d.id()
                + " has no vectors; this index holds precomputed vectors (no model encodes text)");
        return null;
      }
      if (r.vectors().dim() != dim) {
        errors++;
        problem(
            r,
            JobState.Problem.ERROR,
            "document "
                + d.id()
                + " has "
                + r.vectors().dim()
                + "-d vectors; this index holds "
                + dim
                + "-d vectors");
        return null;
      }
    } else if (d.title().isBlank() && d.text().isBlank()) {
      empty++;
      problem(r, JobState.Problem.EMPTY, "document " + d.id() + " has no text and no title");
      return null;
    }
    boolean dup = sinceCommit.contains(d.id());
    if (!dup) {
      long seq = committedSeq(d.id());
      if (seq >= startSeq) dup = true;
      else if (seq >= 0 || seq == PRESENT_WITHOUT_SEQ) replaced++;
    }
    if (dup) {
      duplicate++;
      problem(
          r,
          JobState.Problem.DUPLICATE,
          "document id " + d.id() + " came earlier in the input; the first one is kept");
      return null;
    }
    sinceCommit.add(d.id());
    long position = admitted++;
    return (vectors
            ? new EncodingPipeline.Item(d, r.vectors(), r.tokens())
            : EncodingPipeline.Item.of(d))
        .at(position);
  }

  /** Called on the encoder threads. */
  private void write(EncodingPipeline.Item item, EncodedPassages encoded) throws IOException {
    if (encoded != null) {
      writer.add(item.document(), encoded, item.position());
      tokens.addAndGet(encoded.union().length());
      passages.addAndGet(encoded.passages());
    } else {
      TokenAnnotations ann = null;
      if (item.tokens() != null) {
        int[] none = new int[item.tokens().length];
        java.util.Arrays.fill(none, -1);
        ann = new TokenAnnotations(item.tokens(), none, none.clone());
      }
      writer.add(item.document(), item.vectors(), ann, item.position());
      tokens.addAndGet(item.vectors().rows());
      passages.incrementAndGet();
    }
    indexed.incrementAndGet();
  }

  private static final long PRESENT_WITHOUT_SEQ = -2;

  /**
   * The write sequence number of the live document with this id in the last commit; -1 when there
   * is none, {@link #PRESENT_WITHOUT_SEQ} for a document written before sequence numbers existed.
   */
  private long committedSeq(String id) throws IOException {
    BytesRef term = new BytesRef(id);
    for (LeafReaderContext leaf : committed.leaves()) {
      Terms terms = leaf.reader().terms(IndexLayout.ID);
      if (terms == null) continue;
      TermsEnum te = terms.iterator();
      if (!te.seekExact(term)) continue;
      PostingsEnum p = te.postings(null, PostingsEnum.NONE);
      Bits live = leaf.reader().getLiveDocs();
      for (int doc = p.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = p.nextDoc()) {
        if (live != null && !live.get(doc)) continue;
        NumericDocValues seq = leaf.reader().getNumericDocValues(IndexLayout.SEQ);
        return seq != null && seq.advanceExact(doc) ? seq.longValue() : PRESENT_WITHOUT_SEQ;
      }
    }
    return -1;
  }

  private void problem(SourceRecord r, String kind, String reason) {
    if (problems.size() < MAX_LISTED)
      problems.add(new JobState.Problem(r.ordinal(), r.location(), kind, reason));
    else problemsNotListed++;
  }

  private JobState commit(
      long position, boolean done, long startSeq, double seconds, int runs, String failedAt)
      throws IOException {
    JobState state =
        new JobState(
            corpus.input(),
            fingerprint,
            settings,
            position,
            done,
            startSeq,
            new JobState.Counters(
                read,
                indexed.get(),
                replaced,
                empty,
                duplicate,
                errors,
                tokens.get(),
                passages.get()),
            seconds,
            runs,
            failedAt);
    // The report first: if the process dies between the two, the next run keeps only the
    // problems before the committed position.
    writeReport(state);
    writer.commit(Map.of(JobState.KEY, state.toJson()));
    DirectoryReader fresh = DirectoryReader.openIfChanged(committed);
    if (fresh != null) {
      committed.close();
      committed = fresh;
    }
    sinceCommit.clear();
    return state;
  }

  private void writeReport(JobState state) {
    Path file = indexDir.resolve(JobState.FILE);
    Path tmp = indexDir.resolve(JobState.FILE + ".tmp");
    try {
      JobState.MAPPER
          .writerWithDefaultPrettyPrinter()
          .writeValue(tmp.toFile(), new JobState.Report(state, problems, problemsNotListed));
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** The listed problems of the committed part of a resumed job. */
  private void restoreProblems(long position) {
    Path file = indexDir.resolve(JobState.FILE);
    if (!Files.isRegularFile(file)) return;
    try {
      JobState.Report r = JobState.MAPPER.readValue(file.toFile(), JobState.Report.class);
      for (JobState.Problem p : r.problems()) if (p.ordinal() < position) problems.add(p);
      JobState.Counters c = r.state() == null ? null : r.state().counters();
      long counted = c == null ? 0 : c.skipped();
      // Beyond the listed ones only the count survives (exact when the report is the commit's).
      if (r.state() != null && r.state().position() == position)
        problemsNotListed = Math.max(0, counted - problems.size());
    } catch (IOException e) {
      // A missing or unreadable report loses only the list, never documents or counts.
    }
  }

  private static double secondsSince(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
