using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Witness.Catalog;
using Witness.Events;

namespace Witness.Tests.Catalog;

/// <summary>Events for catalog and template tests.</summary>
internal static partial class CatalogSamples
{
    public static readonly DateTimeOffset OccurredAt = new(2023, 6, 22, 15, 6, 0, TimeSpan.Zero);

    /// <summary>A minimal event: a system actor, no targets, no metadata.</summary>
    public static AuditEvent Event(string action = "inbox.create", string tenant = "acme") => new()
    {
        Id = "evt_1",
        Tenant = tenant,
        OccurredAt = OccurredAt,
        Type = LogTypes.Activity,
        Action = action,
        Actor = EventActor.System,
        Outcome = Outcomes.Success,
    };

    public static EventActor Ada { get; } = new()
    {
        Type = ActorTypes.User,
        Id = "u_17",
        Name = "Ada Admin",
        Email = "ada@example.com",
        Role = "Administrator",
    };

    public static EventTarget Target(string type, string id, string? name = null, string? url = null) =>
        new() { Type = type, Id = id, Name = name, Url = url };

    public static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    /// <summary>
    /// An event that has a value for every placeholder of the template: a full actor and context,
    /// as many targets (each with a URL) as the highest target index needs, and the metadata and
    /// changes keys the template names.
    /// </summary>
    public static AuditEvent SampleFor(CompiledTemplate template, string action)
    {
        var metadata = new JsonObject();
        var before = new JsonObject();
        var after = new JsonObject();
        var targetCount = 0;
        foreach (var placeholder in template.Placeholders)
        {
            var steps = placeholder.Split('.');
            switch (steps[0])
            {
                case "metadata":
                    Put(metadata, steps[1..], placeholder);
                    break;
                case "changes" when steps[1] == "before":
                    Put(before, steps[2..], placeholder);
                    break;
                case "changes":
                    Put(after, steps[2..], placeholder);
                    break;
                case "target":
                    targetCount = Math.Max(targetCount, 1);
                    break;
                default:
                    var index = TargetIndex().Match(steps[0]);
                    if (index.Success)
                    {
                        targetCount = Math.Max(targetCount, int.Parse(index.Groups[1].Value, CultureInfo.InvariantCulture) + 1);
                    }

                    break;
            }
        }

        return Event(action) with
        {
            Category = "Sample",
            Reason = "sample reason",
            Actor = Ada,
            Targets = Enumerable.Range(0, targetCount)
                .Select(i => Target($"thing{i}", $"{100 + i}", $"Thing {i}", $"https://app.example.com/things/{100 + i}"))
                .ToArray(),
            Context = new EventContext
            {
                Ip = "203.0.113.7",
                UserAgent = "Mozilla/5.0",
                Location = new EventLocation { Country = "IT", City = "Milan" },
                Source = "form",
                Brand = "Acme Support",
                SessionId = "s_1",
                RequestId = "r_9",
            },
            Metadata = JsonSerializer.SerializeToElement(metadata),
            Changes = new EventChanges { Before = JsonSerializer.SerializeToElement(before), After = JsonSerializer.SerializeToElement(after) },
        };
    }

    [GeneratedRegex(@"^targets\[([0-9]+)\]$")]
    private static partial Regex TargetIndex();

    [GeneratedRegex(@"^(?<name>[^\[]+)(?:\[(?<index>[0-9]+)\])?$")]
    private static partial Regex Step();

    private static void Put(JsonObject root, string[] path, string placeholder)
    {
        JsonNode current = root;
        for (var i = 0; i < path.Length; i++)
        {
            var match = Step().Match(path[i]);
            var name = match.Groups["name"].Value;
            var last = i == path.Length - 1;
            var obj = (JsonObject)current;
            if (!match.Groups["index"].Success)
            {
                obj[name] ??= last ? JsonValue.Create($"<{placeholder}>") : new JsonObject();
                current = obj[name]!;
                continue;
            }

            var index = int.Parse(match.Groups["index"].Value, CultureInfo.InvariantCulture);
            var array = (JsonArray)(obj[name] ??= new JsonArray());
            while (array.Count <= index)
            {
                array.Add(last ? JsonValue.Create($"<{placeholder}>") : new JsonObject());
            }

            current = array[index]!;
        }
    }
}
