package dev.safeguard.rules;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the engine judges: the object (normalised, see {@link ObjectTree}), its previous version on UPDATE,
 * and the request around it. The same shape whether it came from an AdmissionReview or a manifest file.
 *
 * @param oldObject the previous version on UPDATE, else null
 * @param operation CREATE, UPDATE, ... (CLI: CREATE)
 * @param namespace the namespace the object is admitted to; null when unknown (a manifest without one)
 * @param userInfo  who asks (username, groups, ...); empty when not known
 * @param origin    where the object comes from, which decides whose word its ownerReferences need
 */
public record Subject(Map<String, Object> object, Map<String, Object> oldObject, String operation,
        String namespace, Map<String, Object> userInfo, boolean dryRun, Origin origin) {

    /** Where an object under judgement comes from. */
    public enum Origin {
        /**
         * A request to the API server: an ownerReference is believed only when the request comes from the
         * controller that creates such objects (anyone who may create a Pod may write one).
         */
        ADMISSION,
        /**
         * A manifest or an object read from a cluster ({@code safeguard check}): no request, so an
         * ownerReference is believed when the owner it names, with that uid, is among the objects judged.
         */
        MANIFEST
    }

    /** An admission request's object. */
    public Subject(Map<String, Object> object, Map<String, Object> oldObject, String operation, String namespace,
            Map<String, Object> userInfo, boolean dryRun) {
        this(object, oldObject, operation, namespace, userInfo, dryRun, Origin.ADMISSION);
    }

    public Subject {
        origin = origin == null ? Origin.ADMISSION : origin;
        object = object == null ? Map.of() : object;
        userInfo = userInfo == null ? Map.of() : userInfo;
        if (namespace == null || namespace.isEmpty()) {
            namespace = ObjectTree.string(object, "metadata", "namespace");
        }
    }

    /** A manifest judged on its own, as a CREATE. */
    public static Subject ofObject(Map<String, Object> object) {
        return new Subject(object, null, "CREATE", null, Map.of(), false, Origin.MANIFEST);
    }

    /** The same request about a variant of the object. */
    public Subject withObject(Map<String, Object> other) {
        return new Subject(other, oldObject, operation, namespace, userInfo, dryRun, origin);
    }

    /** The {@code request} variable rules see. Keys without a value are left out, so has() tells. */
    Map<String, Object> requestVariable() {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("operation", operation);
        if (namespace != null) {
            request.put("namespace", namespace);
        }
        request.put("userInfo", userInfo);
        request.put("dryRun", dryRun);
        return request;
    }
}
