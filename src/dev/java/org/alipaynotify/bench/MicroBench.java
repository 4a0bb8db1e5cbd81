package org.alipaynotify.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.alipaynotify.request.FormBodyParserBench;
import org.alipaynotify.request.FormBodyParserBench;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the JMH micro-benchmarks (body parser, three signature checks) and prints a markdown table of µs/op
 * (bin/jmh). Single-threaded, one fork, 3 x 1 s warm-up and 5 x 1 s measurement each: about a minute for the set,
 * small enough for a shared 2-core machine. The forked JVMs inherit this JVM's java.class.path, so start it with
 * the test class path (bin/jmh does).
 */
public final class MicroBench {
    /** One benchmark's result: "Class.method", mean µs per operation, and the 99.9% confidence half-width. */
    public record Row(String name, double microsPerOp, double error) {
    }

    private MicroBench() {
    }

    public static List<Row> run() throws RunnerException {
        Options options = new OptionsBuilder()
                // anchored on the class name plus '.', so SignatureCheckBench does not also match a SignatureCheckBenchX
                .include("^" + Pattern.quote(FormBodyParserBench.class.getName() + "."))
                .include("^" + Pattern.quote(SignatureCheckBench.class.getName() + "."))
                .mode(Mode.AverageTime).timeUnit(TimeUnit.MICROSECONDS)
                .threads(1).forks(1)
                .warmupIterations(3).warmupTime(TimeValue.seconds(1))
                .measurementIterations(5).measurementTime(TimeValue.seconds(1))
                .jvmArgs("-Xmx512m")
                .build();
        List<Row> rows = new ArrayList<>();
        for (RunResult r : new Runner(options).run()) {
            String full = r.getParams().getBenchmark();
            String name = full.substring(full.lastIndexOf('.', full.lastIndexOf('.') - 1) + 1);
            rows.add(new Row(name, r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreError()));
        }
        rows.sort(Comparator.comparing(Row::name));
        return rows;
    }

    /** The rows as a markdown table. */
    public static String table(List<Row> rows) {
        StringBuilder out = new StringBuilder("| benchmark | µs/op | ± (99.9%) |\n|---|---:|---:|\n");
        for (Row r : rows) {
            out.append(String.format(java.util.Locale.ROOT, "| %s | %.2f | %.2f |%n", r.name(), r.microsPerOp(),
                    r.error()));
        }
        return out.toString();
    }

    public static void main(String[] args) throws RunnerException {
        long start = System.nanoTime();
        String table = table(run());
        System.out.print("\n" + table);
        System.out.printf(java.util.Locale.ROOT, "%nJava %s, %d cores; whole run %.0f s%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
                (System.nanoTime() - start) / 1e9);
    }
}
