package dev.safeguard.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a policy demands of the exemptions objects give themselves ({@code safeguard.dev/exempt}): an end date, how far
 * ahead that end may be, and who may grant one. {@link #OPEN} is what a policy that says nothing gets: any end or
 * none, granted by whoever may write the object.
 *
 * @param requireExpiry an exemption without {@code safeguard.dev/exempt-until} is ignored
 * @param maxDays       an exempt-until more than this many days after the moment of judgement is ignored; null: no cap
 * @param grantors      who may add or change exemption annotations; {@link Grantors#ANYONE} when the policy names none
 */
public record ExemptionPolicy(boolean requireExpiry, Integer maxDays, Grantors grantors) {

    public static final ExemptionPolicy OPEN = new ExemptionPolicy(false, null, Grantors.ANYONE);

    public ExemptionPolicy {
        grantors = grantors == null ? Grantors.ANYONE : grantors;
    }

    /**
     * The users, groups and service accounts (namespace/name) allowed to grant exemptions; all empty: anyone.
     */
    public record Grantors(List<String> users, List<String> groups, List<String> serviceAccounts) {

        public static final Grantors ANYONE = new Grantors(List.of(), List.of(), List.of());

        public Grantors {
            users = users == null ? List.of() : List.copyOf(users);
            groups = groups == null ? List.of() : List.copyOf(groups);
            serviceAccounts = serviceAccounts == null ? List.of() : List.copyOf(serviceAccounts);
        }

        /** True when the policy names nobody, so anyone who may write an object may exempt it. */
        public boolean anyone() {
            return users.isEmpty() && groups.isEmpty() && serviceAccounts.isEmpty();
        }

        /** True when the requester ({@code request.userInfo}) is one of the grantors. */
        public boolean allow(Map<String, Object> userInfo) {
            if (anyone()) {
                return true;
            }
            String username = userInfo.get("username") instanceof String name ? name : "";
            if (users.contains(username)) {
                return true;
            }
            for (String account : serviceAccounts) {
                if (username.equals("system:serviceaccount:" + account.replace('/', ':'))) {
                    return true;
                }
            }
            return userInfo.get("groups") instanceof List<?> memberOf && memberOf.stream().anyMatch(groups::contains);
        }

        /** "users [alice], groups [platform-admins], service accounts [argocd/argocd-application-controller]". */
        public String describe() {
            List<String> parts = new ArrayList<>();
            if (!users.isEmpty()) {
                parts.add("users " + users);
            }
            if (!groups.isEmpty()) {
                parts.add("groups " + groups);
            }
            if (!serviceAccounts.isEmpty()) {
                parts.add("service accounts " + serviceAccounts);
            }
            return String.join(", ", parts);
        }

        /** Problems with the lists, for the policy loader: a service account is namespace/name. */
        List<String> problems(String where) {
            List<String> problems = new ArrayList<>();
            for (int i = 0; i < serviceAccounts.size(); i++) {
                String account = serviceAccounts.get(i);
                if (account == null || !account.matches("[^/\\s]+/[^/\\s]+")) {
                    problems.add(where + ".serviceAccounts[" + i + "]: '" + account
                            + "' is not namespace/name (e.g. argocd/argocd-application-controller)");
                }
            }
            return problems;
        }
    }
}
