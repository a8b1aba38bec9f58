package dev.latte.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./latte}: the command-line entry point. */
@Command(
    name = "latte",
    mixinStandardHelpOptions = true,
    version = "latte 0.1.0",
    description = "Multi-vector (late-interaction) retrieval on Apache Lucene.",
    subcommands = {
      IndexCommand.class,
      SearchCommand.class,
      EvalCommand.class,
      ServeCommand.class,
      DemoCommand.class,
      BooksCommand.class
    })
public final class Latte implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Latte());
    // Failures are reported in one line naming the cause; the stack trace goes to the log at debug.
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          PrintWriter err = commandLine.getErr();
          err.println("latte " + commandLine.getCommandName() + ": error: " + oneLine(ex));
          err.flush();
          System.getLogger("dev.latte.cli").log(System.Logger.Level.DEBUG, "failure", ex);
          return 1;
        });
    return cl;
  }

  static String oneLine(Throwable ex) {
    Throwable t = ex;
    while ((t.getMessage() == null || t.getMessage().isBlank()) && t.getCause() != null)
      t = t.getCause();
    String msg = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return msg.replace('\n', ' ');
  }
}
