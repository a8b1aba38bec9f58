package dev.latte.searcher.firststage;

import dev.latte.indexer.firststage.FirstStageBuilder;
import dev.latte.indexer.firststage.FirstStageFormat;
import dev.latte.searcher.SearchMethod;
import dev.latte.searcher.SearchSettings;
import java.nio.file.Path;
import java.util.List;

/**
 * One first stage, described once: what it is called and how its files are versioned ({@link
 * #format}), how it is trained and derived from a main index ({@link #builder}, which live indexes
 * also use to keep it in step with writes), whether deriving needs every token row's word piece,
 * and the search methods it enables (which read it and generate candidates from it). Each stage
 * lives in one package ({@code firststage.xtr}, {@code .coil}, {@code .slim}, {@code .stock}) with
 * its writer, reader and format constants, and is registered by one line in {@link
 * FirstStages#DEFAULT}; the CLI, eval, the HTTP API and the benchmarks learn every stage and method
 * from that registry.
 */
public interface FirstStage {

  /** The stage's name and file-format version. */
  FirstStageFormat format();

  /** The folder name after {@code latte-}, and what {@code --first-stage} calls it. */
  default String name() {
    return format().name();
  }

  /**
   * How the stage trains its parameters and derives its documents; {@code modelFolder} (may be
   * null) is the encoder model's folder, for stages that ship trained parameters with a model.
   */
  FirstStageBuilder builder(Path modelFolder);

  /**
   * True if deriving needs every token row's word piece, which an index with a pool factor above 1
   * does not keep: such a stage cannot be built there.
   */
  boolean needsAnnotations();

  /**
   * True for a stage that exists to be measured against (the stock-Lucene baseline and its float
   * copy of every token): {@code --first-stage all} leaves it out, so it is built for a user's
   * index only when named; evaluation builds it when a method it runs needs it.
   */
  default boolean evaluationOnly() {
    return false;
  }

  /**
   * The stage's search-time parameters ({@code --stage-param NAME.PARAM=VALUE}); its methods read
   * them with {@link SearchSettings#stageParameter}.
   */
  default List<StageParameter> parameters() {
    return List.of();
  }

  /**
   * The search methods this stage enables, each answering {@link SearchMethod#firstStage()} with
   * this stage's name, in the order {@code LatteSearcher#methods()} lists them.
   */
  List<SearchMethod> methods(SearchSettings settings);

  /**
   * The stage's usual method, the one benchmarks and "use ..." hints name: its candidates rescored
   * by exact MaxSim ({@code NAME+maxsim}) where it has one, else its first method.
   */
  default String rescoredMethod() {
    List<SearchMethod> all = methods(SearchSettings.DEFAULT);
    return all.stream()
        .map(SearchMethod::name)
        .filter(n -> n.endsWith("+maxsim"))
        .findFirst()
        .orElse(all.getFirst().name());
  }
}
