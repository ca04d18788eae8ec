package dev.safeguard.cli;

/** A manifest that cannot be read or parsed: the message names the file and, when known, document and line. */
final class ManifestException extends Exception {

    ManifestException(String message) {
        super(message);
    }
}
