package org.alipaynotify.request;

import org.alipaynotify.Refused;
import org.alipaynotify.bench.MicroBenchFixture;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH: the body parser (step 2) on a realistic signed notification. In package org.alipaynotify, not .bench,
 * because FormBodyParser is package-private. Run through org.alipaynotify.bench.MicroBench (bin/jmh).
 */
// Mode, time unit, forks and iterations: MicroBench sets them for every benchmark, in one place.
@State(Scope.Benchmark)
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
