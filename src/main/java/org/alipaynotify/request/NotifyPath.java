package org.alipaynotify.request;

import org.alipaynotify.Ledger;
import org.alipaynotify.Notification;
import org.alipaynotify.Outcome;
import org.alipaynotify.Refused;

/**
 * Steps 2 to 5 for a body that was accepted: parse, verify, check, apply. Kept apart from the servlet so that the
 * fuzz tests drive exactly this sequence.
 */
public final class NotifyPath {
    /**
     * How it ended; {@code form} is null when the body did not parse. {@code verified}: the signature verified, so
     * the body is Alipay's. {@code recorded}: the ledger committed a record of it (also for an outcome answered
     * failure), so it is no refusal to journal. {@code app}: the name of the app whose key checked it (a claim when
     * not verified), "-" when none.
     */
    public record Result(Outcome outcome, String reason, NotifyForm form, StepTimes times, boolean verified,
            boolean recorded, String app) {
    }

    /**
     * Nanoseconds spent in each step (0 for a step not reached), so the metrics show where a request's time goes:
     * the database, the signature check, or neither (then the container and the network).
     */
    public record StepTimes(long parse, long verify, long check, long apply) {
    }

    private final SignatureVerifier verifier;
    private final BusinessChecker checker;
    private final Ledger ledger;

    public NotifyPath(SignatureVerifier verifier, BusinessChecker checker, Ledger ledger) {
        this.verifier = verifier;
        this.checker = checker;
        this.ledger = ledger;
    }

    public Result process(byte[] body, String remoteAddr) {
        NotifyForm form = null;
        boolean verifiedOk = false;
        long[] t = new long[5];
        int reached = 0;
        t[0] = System.nanoTime();
        try {
            form = FormBodyParser.parse(body, verifier::defaultCharset);
            t[++reached] = System.nanoTime();
            VerifiedNotification verified = verifier.verify(form);
            verifiedOk = true;
            t[++reached] = System.nanoTime();
            Notification notification = checker.check(verified);
            t[++reached] = System.nanoTime();
            Ledger.Applied applied = ledger.apply(notification, remoteAddr);
            t[++reached] = System.nanoTime();
            return new Result(applied.outcome(), applied.reason(), form, times(t, reached), true, true,
                    verified.app().name());
        } catch (Refused refused) {
            t[++reached] = System.nanoTime(); // the step that refused took its time too
            return new Result(refused.outcome(), refused.reason(), form, times(t, reached), verifiedOk, false,
                    form == null ? "-" : verifier.appName(form));
        }
    }

    private static StepTimes times(long[] t, int reached) {
        long[] d = new long[4];
        for (int i = 0; i < reached; i++) {
            d[i] = t[i + 1] - t[i];
        }
        return new StepTimes(d[0], d[1], d[2], d[3]);
    }
}
