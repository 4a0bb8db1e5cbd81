package org.alipaynotify;

import java.util.concurrent.TimeUnit;
import org.alipaynotify.bench.MicroBenchFixture;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH: the body parser (step 2) on a realistic signed notification. In package org.alipaynotify, not .bench,
 * because FormBodyParser is package-private. Run through org.alipaynotify.bench.MicroBench (bin/jmh).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = "-Xmx512m")
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class FormBodyParserBench {
    private byte[] body;

    @Setup
    public void setup() throws Refused {
        try (MicroBenchFixture f = new MicroBenchFixture()) {
            body = f.body;
            // fail loudly rather than time a wrong (or refusing) parse
            if (!FormBodyParser.parse(body).fields().equals(f.signed)) {
                throw new IllegalStateException("the parser does not return the notification's fields");
            }
        }
    }

    @Benchmark
    public NotifyForm parse() throws Refused {
        return FormBodyParser.parse(body); // returned, so JMH consumes it
    }
}
