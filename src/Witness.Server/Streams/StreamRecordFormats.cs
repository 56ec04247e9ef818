using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Witness.Events;
using Witness.Streams;

namespace Witness.Server.Streams;

/// <summary>
/// The text of one event in a stream's format: <c>witness</c> (the event as the API shows it, from its
/// stored bytes plus <c>hash</c>), <c>ocsf</c> (<see cref="OcsfRecord"/>) or <c>cef</c> (<see cref="CefRecord"/>).
/// </summary>
internal static class StreamRecordFormats
{
    public static byte[] Format(string format, StreamRecord record) => format switch
    {
        StreamFormats.Ocsf => OcsfRecord.Write(record),
        StreamFormats.Cef => Encoding.UTF8.GetBytes(CefRecord.Write(record)),
        _ => Witness(record),
    };

    /// <summary>Whether the format is JSON (HEC sends JSON as an object, other text as a string).</summary>
    public static bool IsJson(string format) => format != StreamFormats.Cef;

    private static byte[] Witness(StreamRecord record)
    {
        var buffer = new ArrayBufferWriter<byte>(record.Body.Length + 80);
        CanonicalEvent.WriteWithHash(buffer, record.Body, record.Hash);
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>
/// ArcSight Common Event Format, one line per event:
/// <c>CEF:0|Witness|Witness|1|action|description|severity|extensions</c>. Header fields escape
/// <c>\</c> and <c>|</c>; extension values escape <c>\</c>, <c>=</c> and line breaks; keys are the
/// standard CEF dictionary's, with Witness's own in custom strings (<c>cs1</c>–<c>cs6</c> with labels).
/// </summary>
internal static class CefRecord
{
    public static string Write(StreamRecord record)
    {
        var e = record.Event;
        var severity = e.Outcome == Outcomes.Failure ? 6 : e.Type == LogTypes.Access ? 4 : 3;
        var text = new StringBuilder("CEF:0|Witness|Witness|1|");
        text.Append(Header(e.Action)).Append('|').Append(Header(e.Description ?? e.Action)).Append('|').Append(severity).Append('|');
        var first = true;
        void Add(string key, string? value)
        {
            if (value is null)
            {
                return;
            }

            text.Append(first ? "" : " ").Append(key).Append('=').Append(Extension(value));
            first = false;
        }

        Add("rt", e.OccurredAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        Add("externalId", e.Id);
        Add("cat", e.Category);
        Add("act", e.Action);
        Add("outcome", e.Outcome);
        Add("reason", e.Reason);
        Add("suid", e.Actor.Id);
        Add("suser", e.Actor.Email ?? e.Actor.Name);
        Add("spriv", e.Actor.Role);
        Add("src", e.Context?.Ip);
        Add("requestClientApplication", e.Context?.UserAgent);
        if (e.Targets.Count > 0)
        {
            Add("duid", e.Targets[0].Id);
            Add("duser", e.Targets[0].Name);
        }

        Add("cs1Label", "tenant");
        Add("cs1", e.Tenant);
        Add("cs2Label", "seq");
        Add("cs2", record.Seq.ToString(CultureInfo.InvariantCulture));
        Add("cs3Label", "hash");
        Add("cs3", record.HashHex);
        Add("cs4Label", "type");
        Add("cs4", e.Type);
        Add("msg", e.Description);
        return text.ToString();
    }

    private static string Header(string value) => Clean(value).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal);

    private static string Extension(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("=", "\\=", StringComparison.Ordinal)
            .Replace("\r\n", "\\n", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);

    private static string Clean(string value) => value.Replace('\r', ' ').Replace('\n', ' ');
}

/// <summary>
/// An event as an OCSF 1.1 record. The class follows the action: sign-in, sign-out and failed
/// sign-in are Authentication (3002); password, MFA and role changes Account Change (3001);
/// create, update and delete of configuration Entity Management (3004); everything else API
/// Activity (6003). <c>metadata.uid</c> is the event id, <c>metadata.tenant_uid</c> the tenant,
/// <c>metadata.sequence</c> the seq, and the leaf hash is in <c>metadata.labels</c> and <c>unmapped.hash</c>.
/// </summary>
internal static class OcsfRecord
{
    public const string Version = "1.1.0";

    public static int ClassOf(AuditEvent e)
    {
        var action = e.Action;
        if (IsSignIn(action) || IsSignOut(action))
        {
            return 3002;
        }

        if (Has(action, "password") || Has(action, "mfa") || Has(action, "two_factor") || Has(action, "2fa")
            || (Has(action, "role") && !action.StartsWith("role", StringComparison.Ordinal)))
        {
            return 3001;
        }

        return CrudOf(action) is 1 or 3 or 4 && e.Type == LogTypes.Activity ? 3004 : 6003;
    }

    public static byte[] Write(StreamRecord record)
    {
        var e = record.Event;
        var classUid = ClassOf(e);
        var (activityId, activityName) = Activity(classUid, e.Action);
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("class_uid", classUid);
            w.WriteString("class_name", classUid switch { 3002 => "Authentication", 3001 => "Account Change", 3004 => "Entity Management", _ => "API Activity" });
            w.WriteNumber("category_uid", classUid / 1000);
            w.WriteString("category_name", classUid / 1000 == 3 ? "Identity & Access Management" : "Application Activity");
            w.WriteNumber("activity_id", activityId);
            w.WriteString("activity_name", activityName);
            w.WriteNumber("type_uid", (classUid * 100L) + activityId);
            var failed = e.Outcome == Outcomes.Failure;
            w.WriteNumber("severity_id", failed ? 3 : 1);
            w.WriteString("severity", failed ? "Medium" : "Informational");
            w.WriteNumber("status_id", failed ? 2 : 1);
            w.WriteString("status", failed ? "Failure" : "Success");
            if (e.Reason is { } reason)
            {
                w.WriteString("status_detail", reason);
            }

            w.WriteNumber("time", e.OccurredAt.ToUnixTimeMilliseconds());
            if (e.Description is { } description)
            {
                w.WriteString("message", description);
            }

            w.WriteStartObject("metadata");
            w.WriteString("version", Version);
            w.WriteStartObject("product");
            w.WriteString("name", "Witness");
            w.WriteString("vendor_name", "Witness");
            w.WriteEndObject();
            w.WriteString("uid", e.Id);
            w.WriteString("tenant_uid", e.Tenant);
            w.WriteNumber("sequence", record.Seq);
            w.WriteString("log_name", e.Type);
            w.WriteNumber("logged_time", e.ReceivedAt.ToUnixTimeMilliseconds());
            if (e.Context?.RequestId is { } requestId)
            {
                w.WriteString("correlation_uid", requestId);
            }

            w.WriteStartArray("labels");
            w.WriteStringValue("hash:" + record.HashHex);
            w.WriteEndArray();
            w.WriteEndObject();

            w.WritePropertyName("actor");
            w.WriteStartObject();
            w.WritePropertyName("user");
            WriteUser(w, e.Actor);
            if (e.Context?.SessionId is { } session)
            {
                w.WriteStartObject("session");
                w.WriteString("uid", session);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WritePropertyName("src_endpoint");
            WriteEndpoint(w, e.Context);
            if (e.Context?.UserAgent is { } agent)
            {
                w.WriteStartObject("http_request");
                w.WriteString("user_agent", agent);
                w.WriteEndObject();
            }

            switch (classUid)
            {
                case 3002:
                    // The subject authenticating is the actor; the service is the product the tenant runs.
                    w.WritePropertyName("user");
                    WriteUser(w, e.Actor);
                    w.WriteStartObject("service");
                    w.WriteString("name", e.Context?.Brand ?? e.Tenant);
                    w.WriteEndObject();
                    break;
                case 3001:
                    w.WritePropertyName("user");
                    if (e.Targets.FirstOrDefault(t => t.Type is "user" or "agent" or "collaborator" or "member" or "console_user") is { } subject)
                    {
                        w.WriteStartObject();
                        w.WriteString("uid", subject.Id);
                        w.WriteString("name", subject.Name ?? subject.Id);
                        w.WriteEndObject();
                    }
                    else
                    {
                        WriteUser(w, e.Actor);
                    }

                    break;
                case 3004:
                    w.WritePropertyName("entity");
                    WriteEntity(w, e.Targets.FirstOrDefault(), e.Category ?? e.Action, e.Changes?.Before);
                    if (e.Changes?.After is { } after)
                    {
                        w.WritePropertyName("entity_result");
                        WriteEntity(w, e.Targets.FirstOrDefault(), e.Category ?? e.Action, after);
                    }

                    break;
                default:
                    w.WriteStartObject("api");
                    w.WriteString("operation", e.Action);
                    if (e.Context?.RequestId is { } request)
                    {
                        w.WriteStartObject("request");
                        w.WriteString("uid", request);
                        w.WriteEndObject();
                    }

                    w.WriteEndObject();
                    if (e.Targets.Count > 0)
                    {
                        w.WriteStartArray("resources");
                        foreach (var target in e.Targets)
                        {
                            w.WriteStartObject();
                            w.WriteString("uid", target.Id);
                            w.WriteString("type", target.Type);
                            if (target.Name is { } name)
                            {
                                w.WriteString("name", name);
                            }

                            w.WriteEndObject();
                        }

                        w.WriteEndArray();
                    }

                    break;
            }

            w.WriteStartObject("unmapped");
            w.WriteNumber("seq", record.Seq);
            w.WriteString("hash", record.HashHex);
            w.WriteString("action", e.Action);
            w.WriteString("type", e.Type);
            if (e.Category is { } category)
            {
                w.WriteString("category", category);
            }

            if (e.Metadata is { ValueKind: JsonValueKind.Object } metadata)
            {
                w.WritePropertyName("metadata");
                metadata.WriteTo(w);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteUser(Utf8JsonWriter w, EventActor actor)
    {
        w.WriteStartObject();
        w.WriteString("uid", actor.Id ?? actor.Email ?? actor.Type);
        w.WriteString("name", actor.DisplayName);
        if (actor.Email is { } email)
        {
            w.WriteString("email_addr", email);
        }

        w.WriteString("type", actor.Type switch { ActorTypes.User => "User", ActorTypes.System => "System", _ => "Other" });
        w.WriteNumber("type_id", actor.Type switch { ActorTypes.User => 1, ActorTypes.System => 3, _ => 99 });
        if (actor.Role is { } role)
        {
            w.WriteStartArray("groups");
            w.WriteStartObject();
            w.WriteString("name", role);
            w.WriteEndObject();
            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void WriteEndpoint(Utf8JsonWriter w, EventContext? context)
    {
        w.WriteStartObject();
        if (context?.Ip is { } ip)
        {
            w.WriteString("ip", ip);
        }
        else
        {
            // An endpoint needs one of ip, name, hostname, uid…: an event sent without an address names its source.
            w.WriteString("name", context?.Source ?? "unknown");
        }

        if (context?.Location is { } location)
        {
            w.WriteStartObject("location");
            if (location.Country is { } country)
            {
                w.WriteString("country", country);
            }

            if (location.City is { } city)
            {
                w.WriteString("city", city);
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void WriteEntity(Utf8JsonWriter w, EventTarget? target, string type, JsonElement? data)
    {
        w.WriteStartObject();
        w.WriteString("uid", target?.Id ?? type);
        w.WriteString("name", target?.Name ?? target?.Id ?? type);
        w.WriteString("type", target?.Type ?? type);
        if (data is { ValueKind: JsonValueKind.Object } value)
        {
            w.WritePropertyName("data");
            value.WriteTo(w);
        }

        w.WriteEndObject();
    }

    private static (int Id, string Name) Activity(int classUid, string action) => classUid switch
    {
        3002 => IsSignOut(action) ? (2, "Logoff") : (1, "Logon"),
        3001 => Has(action, "password") ? (Has(action, "reset") ? (4, "Password Reset") : (3, "Password Change"))
            : Has(action, "mfa") || Has(action, "two_factor") || Has(action, "2fa") ? (Has(action, "disable") || Has(action, "remove") ? (11, "MFA Factor Disable") : (10, "MFA Factor Enable"))
            : (99, "Other"),
        _ => CrudOf(action) switch { 1 => (1, "Create"), 2 => (2, "Read"), 3 => (3, "Update"), 4 => (4, "Delete"), _ => (99, "Other") },
    };

    /// <summary>1 create, 2 read, 3 update, 4 delete, 0 other, from the action's last word.</summary>
    private static int CrudOf(string action)
    {
        var verb = action[(action.LastIndexOfAny(['.', ':']) + 1)..];
        return verb switch
        {
            "create" or "created" or "add" or "added" or "invite" or "invited" or "import" or "imported" => 1,
            "view" or "read" or "export" or "exported" or "list" or "get" => 2,
            "update" or "updated" or "change" or "changed" or "edit" or "edited" or "rename" or "renamed" or "enable" or "disable" or "publish" or "published" => 3,
            "delete" or "deleted" or "remove" or "removed" or "revoke" or "revoked" => 4,
            _ => 0,
        };
    }

    private static bool IsSignIn(string action) =>
        Has(action, "login") || Has(action, "log_in") || Has(action, "sign_in") || Has(action, "signin") || Has(action, "logon");

    private static bool IsSignOut(string action) =>
        Has(action, "logout") || Has(action, "log_out") || Has(action, "sign_out") || Has(action, "signout") || Has(action, "logoff");

    private static bool Has(string action, string word) => action.Contains(word, StringComparison.Ordinal);
}
