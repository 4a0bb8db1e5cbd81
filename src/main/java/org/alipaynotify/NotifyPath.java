package org.alipaynotify;

/**
 * Steps 2 to 5 for a body that was accepted: parse, verify, check, apply. Kept apart from the servlet so that the
 * fuzz tests drive exactly this sequence.
 */
final class NotifyPath {
    /** How it ended; {@code form} is null when the body did not parse. */
    record Result(Outcome outcome, String reason, NotifyForm form) {
    }

    private final SignatureVerifier verifier;
    private final BusinessChecker checker;
    private final Ledger ledger;

    NotifyPath(SignatureVerifier verifier, BusinessChecker checker, Ledger ledger) {
        this.verifier = verifier;
        this.checker = checker;
        this.ledger = ledger;
    }

    Result process(byte[] body, String remoteAddr) {
        NotifyForm form = null;
        try {
            form = FormBodyParser.parse(body);
            VerifiedNotification verified = verifier.verify(form);
            Notification notification = checker.check(verified);
            Ledger.Applied applied = ledger.apply(notification, remoteAddr);
            return new Result(applied.outcome(), applied.reason(), form);
        } catch (Refused refused) {
            return new Result(refused.outcome(), refused.reason(), form);
        }
    }
}
