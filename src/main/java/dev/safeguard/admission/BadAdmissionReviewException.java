package dev.safeguard.admission;

/** The body is not an AdmissionReview the webhook can answer; the message says what is wrong. */
public class BadAdmissionReviewException extends Exception {
    public BadAdmissionReviewException(String message) {
        super(message);
    }

    public BadAdmissionReviewException(String message, Throwable cause) {
        super(message, cause);
    }
}
