package dev.safeguard.rules;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Whose word the engine takes that an object was made by a controller from a template already judged: the
 * owner kinds whose objects inherit their owner's verdicts, where each keeps its pod template, and which
 * identity may create objects for it. The built-in controllers of kube-controller-manager are always
 * trusted; a policy adds others (an Argo Rollouts controller creating ReplicaSets for Rollouts).
 *
 * @param trustedControllers controllers the policy adds to kube-controller-manager's own
 */
public record Ownership(List<TrustedController> trustedControllers) {

    /** kube-controller-manager when it runs with one shared identity (--use-service-account-credentials=false). */
    public static final String CONTROLLER_MANAGER_USER = "system:kube-controller-manager";

    /** Only kube-controller-manager's controllers. */
    public static final Ownership BUILT_IN = new Ownership(List.of());

    /**
     * A controller the policy trusts to create objects owned by {@code ownerKind}.
     *
     * @param username        the identity its requests come with (system:serviceaccount:NAMESPACE:NAME)
     * @param ownerKind       the kind of the owner its objects name as controller
     * @param ownerApiVersion where that kind is served (needed to look owners up when it is not built in)
     * @param templatePath    where the owner keeps the pod template its objects are made from (spec.template)
     */
    public record TrustedController(String username, String ownerKind, String ownerApiVersion, String templatePath) {
    }

    /** A built-in controller of kube-controller-manager: which children it creates, as whom, from where. */
    private record BuiltIn(String ownerApiVersion, Set<String> childKinds, String serviceAccount, String templatePath) {
    }

    private static final Map<String, BuiltIn> BUILT_IN_CONTROLLERS = builtIns();

    private static Map<String, BuiltIn> builtIns() {
        Map<String, BuiltIn> controllers = new LinkedHashMap<>();
        controllers.put("Deployment", new BuiltIn("apps/v1", Set.of("ReplicaSet"), "deployment-controller", "spec.template"));
        controllers.put("ReplicaSet", new BuiltIn("apps/v1", Set.of("Pod"), "replicaset-controller", "spec.template"));
        controllers.put("StatefulSet", new BuiltIn("apps/v1", Set.of("Pod"), "statefulset-controller", "spec.template"));
        controllers.put("DaemonSet", new BuiltIn("apps/v1", Set.of("Pod"), "daemon-set-controller", "spec.template"));
        controllers.put("Job", new BuiltIn("batch/v1", Set.of("Pod"), "job-controller", "spec.template"));
        controllers.put("CronJob", new BuiltIn("batch/v1", Set.of("Job"), "cronjob-controller",
                "spec.jobTemplate.spec.template"));
        controllers.put("ReplicationController", new BuiltIn("v1", Set.of("Pod"), "replication-controller",
                "spec.template"));
        return Map.copyOf(controllers);
    }

    public Ownership {
        trustedControllers = List.copyOf(trustedControllers);
    }

    /** True when objects of {@code childKind} owned by {@code ownerKind} may inherit verdicts at all. */
    public boolean inherits(String childKind, String ownerKind) {
        BuiltIn builtIn = BUILT_IN_CONTROLLERS.get(ownerKind);
        if (builtIn != null && builtIn.childKinds().contains(childKind)) {
            return true;
        }
        return trustedControllers.stream().anyMatch(trusted -> trusted.ownerKind().equals(ownerKind));
    }

    /** True when objects of {@code kind} may themselves inherit from an owner (a ReplicaSet may, a Deployment not). */
    public boolean mayHaveOwner(String kind) {
        return ownerKinds().keySet().stream().anyMatch(owner -> inherits(kind, owner));
    }

    /**
     * Why a request by {@code userInfo} that creates or changes a {@code childKind} naming {@code owner} as its
     * controller is not to be believed, or null when it comes from a controller trusted for that owner kind.
     */
    public String distrust(String childKind, ControllerReference owner, Map<String, Object> userInfo) {
        String username = userInfo.get("username") instanceof String name ? name : "";
        Set<String> trusted = trustedUsernames(childKind, owner.kind());
        if (trusted.contains(username)) {
            return null;
        }
        return "the request comes from " + (username.isEmpty() ? "an unnamed user" : "'" + username + "'")
                + ", not from the controller that creates " + childKind + "s for " + owner.kind() + "s ("
                + String.join(" or ", trusted) + ")";
    }

    /**
     * True when {@code username} is a controller's identity: one of kube-controller-manager's controllers or a
     * trusted controller of the policy (whose writes copy what an owner was admitted with).
     */
    public boolean isController(String username) {
        if (username == null || username.isEmpty()) {
            return false;
        }
        if (CONTROLLER_MANAGER_USER.equals(username)) {
            return true;
        }
        for (BuiltIn builtIn : BUILT_IN_CONTROLLERS.values()) {
            if (username.equals("system:serviceaccount:kube-system:" + builtIn.serviceAccount())) {
                return true;
            }
        }
        return trustedControllers.stream().anyMatch(trusted -> username.equals(trusted.username()));
    }

    /** The identities trusted to create {@code childKind}s for {@code ownerKind}s. */
    public Set<String> trustedUsernames(String childKind, String ownerKind) {
        Set<String> users = new LinkedHashSet<>();
        BuiltIn builtIn = BUILT_IN_CONTROLLERS.get(ownerKind);
        if (builtIn != null && builtIn.childKinds().contains(childKind)) {
            users.add("system:serviceaccount:kube-system:" + builtIn.serviceAccount());
            users.add(CONTROLLER_MANAGER_USER);
        }
        for (TrustedController trusted : trustedControllers) {
            if (trusted.ownerKind().equals(ownerKind)) {
                users.add(trusted.username());
            }
        }
        return users;
    }

    /** The owner kinds whose objects of {@code childKind} inherit verdicts from kube-controller-manager's controllers. */
    public static Set<String> builtInOwnerKinds(String childKind) {
        Set<String> owners = new LinkedHashSet<>();
        BUILT_IN_CONTROLLERS.forEach((kind, builtIn) -> {
            if (builtIn.childKinds().contains(childKind)) {
                owners.add(kind);
            }
        });
        return owners;
    }

    /** Where an owner of {@code ownerKind} keeps its pod template, dotted ("spec.template"). */
    public String templatePath(String ownerKind) {
        for (TrustedController trusted : trustedControllers) {
            if (trusted.ownerKind().equals(ownerKind) && trusted.templatePath() != null) {
                return trusted.templatePath();
            }
        }
        BuiltIn builtIn = BUILT_IN_CONTROLLERS.get(ownerKind);
        return builtIn != null ? builtIn.templatePath() : "spec.template";
    }

    /** Every owner kind whose objects may inherit, with the apiVersion it is served under: what to look up. */
    public Map<String, String> ownerKinds() {
        Map<String, String> kinds = new LinkedHashMap<>();
        BUILT_IN_CONTROLLERS.forEach((kind, builtIn) -> kinds.put(kind, builtIn.ownerApiVersion()));
        for (TrustedController trusted : trustedControllers) {
            kinds.putIfAbsent(trusted.ownerKind(), trusted.ownerApiVersion());
        }
        return kinds;
    }

    /** Problems with the policy's trusted controllers, for the policy loader; empty when there are none. */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < trustedControllers.size(); i++) {
            TrustedController trusted = trustedControllers.get(i);
            String where = "spec.ownership.trustedControllers[" + i + "]";
            if (trusted.username() == null || trusted.username().isBlank()) {
                problems.add(where + ".username is required (the identity the controller's requests come with)");
            }
            if (trusted.ownerKind() == null || trusted.ownerKind().isBlank()) {
                problems.add(where + ".ownerKind is required (the kind its objects name as their controller)");
            } else if (!BUILT_IN_CONTROLLERS.containsKey(trusted.ownerKind())
                    && (trusted.ownerApiVersion() == null || trusted.ownerApiVersion().isBlank())) {
                problems.add(where + ".ownerApiVersion is required for " + trusted.ownerKind()
                        + " (not a built-in kind): the webhook looks the owners up there");
            }
        }
        return problems;
    }
}
