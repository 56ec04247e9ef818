using System.Reflection;
using System.Text.Json;
using Witness.Events;

namespace Witness.Catalog;

/// <summary>
/// A catalog as a JSON file: <c>{"name":"…","description":"…","actions":[{"action":"inbox.create",
/// "category":"Inboxes","type":"activity","crud":"create","template":"Created a new inbox
/// (#{{target.id}})","description":"Create inbox"}]}</c>, where an entry may add <c>"personal":[paths]</c>
/// (<see cref="ActionDefinition.Personal"/>). Loading checks every entry as the catalog
/// would and rejects the whole file when any is invalid, with errors that name the file, the entry
/// and the field (<c>help-desk.json: actions[3].template: …</c>). The presets Witness ships are such
/// files, embedded in the assembly. Instances are immutable.
/// </summary>
public sealed class CatalogFile
{
    private const string PresetPrefix = "Witness.Catalog.Presets.";
    private const string PresetSuffix = ".json";
    private const int MaxNameLength = 128;

    private static readonly string[] FileFields = ["name", "description", "actions"];
    private static readonly string[] EntryFields = ["action", "category", "type", "crud", "template", "description"];
    private static readonly JsonDocumentOptions ReadOptions = new() { CommentHandling = JsonCommentHandling.Skip, MaxDepth = 16 };

    private static readonly Lazy<IReadOnlyList<string>> Presets = new(() =>
        typeof(CatalogFile).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(PresetPrefix, StringComparison.Ordinal) && n.EndsWith(PresetSuffix, StringComparison.Ordinal))
            .Select(n => n[PresetPrefix.Length..^PresetSuffix.Length])
            .Order(StringComparer.Ordinal)
            .ToArray());

    private CatalogFile(string name, string? description, IReadOnlyList<ActionDefinition> actions, string origin)
    {
        Name = name;
        Description = description;
        Actions = actions;
        Origin = origin;
    }

    /// <summary>The names of the presets shipped with Witness, in order: the values <see cref="LoadPreset"/> accepts.</summary>
    public static IReadOnlyList<string> PresetNames => Presets.Value;

    /// <summary>The catalog's name, e.g. <c>help-desk</c>.</summary>
    public string Name { get; }

    /// <summary>What the catalog is for, one sentence; null when the file has none.</summary>
    public string? Description { get; }

    /// <summary>The entries, in file order, each valid and with a distinct action name.</summary>
    public IReadOnlyList<ActionDefinition> Actions { get; }

    /// <summary>Where the catalog came from: the file path, or <c>preset:NAME</c>.</summary>
    public string Origin { get; }

    /// <summary>The distinct categories of the entries, in order of first appearance.</summary>
    public IReadOnlyList<string> Categories => Actions.Select(a => a.Category).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>Loads a catalog file.</summary>
    /// <exception cref="CatalogException">The file is missing, is not JSON of the expected shape, or has an invalid entry; the message names the file.</exception>
    public static CatalogFile Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var extension = Path.GetExtension(path);
        if (extension.Equals(".yaml", StringComparison.OrdinalIgnoreCase) || extension.Equals(".yml", StringComparison.OrdinalIgnoreCase))
        {
            throw Single(path, "file", "catalog files are JSON; convert this YAML file to JSON with the same fields");
        }

        FileStream stream;
        try
        {
            stream = File.OpenRead(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            throw Single(path, "file", $"cannot be read: {ex.Message}");
        }

        using (stream)
        {
            return Load(stream, path);
        }
    }

    /// <summary>Loads a catalog from a stream of JSON; <paramref name="origin"/> names it in errors.</summary>
    /// <exception cref="CatalogException">The stream is not JSON of the expected shape or has an invalid entry.</exception>
    public static CatalogFile Load(Stream stream, string origin)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(origin);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream, ReadOptions);
        }
        catch (JsonException ex)
        {
            throw Single(origin, "file", $"is not valid JSON: {ex.Message}");
        }

        using (document)
        {
            return Read(document.RootElement, origin);
        }
    }

    /// <summary>Loads one of the shipped presets (see <see cref="PresetNames"/>).</summary>
    /// <exception cref="CatalogException">No preset has that name; the message lists the names there are.</exception>
    public static CatalogFile LoadPreset(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!PresetNames.Contains(name, StringComparer.Ordinal))
        {
            throw Single($"preset:{name}", "preset", $"there is no preset '{name}'; the presets are {string.Join(", ", PresetNames)}");
        }

        using var stream = typeof(CatalogFile).Assembly.GetManifestResourceStream(PresetPrefix + name + PresetSuffix)
            ?? throw Single($"preset:{name}", "preset", "the preset's resource is missing from the assembly");
        return Load(stream, $"preset:{name}");
    }

    private static CatalogFile Read(JsonElement root, string origin)
    {
        var errors = new List<ValidationError>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Single(origin, "file", "must be a JSON object with name, description and actions");
        }

        RejectUnknown(root, "", FileFields, errors);
        var name = ReadString(root, "", "name", errors);
        if (name is null)
        {
            if (!root.TryGetProperty("name", out _))
            {
                errors.Add(new("name", "is required"));
            }
        }
        else if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength || name.Any(char.IsControl))
        {
            errors.Add(new("name", $"must be 1–{MaxNameLength} characters without control characters"));
        }

        var description = ReadString(root, "", "description", errors);
        var actions = new List<ActionDefinition>();
        if (!root.TryGetProperty("actions", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new("actions", "is required: an array of entries with action, category, type, crud, template and description"));
        }
        else
        {
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            var index = 0;
            foreach (var item in list.EnumerateArray())
            {
                var path = $"actions[{index}]";
                var definition = ReadEntry(item, path, errors);
                if (definition is not null)
                {
                    if (seen.TryGetValue(definition.Action, out var first))
                    {
                        errors.Add(new($"{path}.action", $"'{definition.Action}' is already defined by actions[{first}]"));
                    }
                    else
                    {
                        seen.Add(definition.Action, index);
                        actions.Add(definition);
                    }
                }

                index++;
            }
        }

        if (errors.Count > 0)
        {
            throw new CatalogException(origin, errors);
        }

        return new CatalogFile(name!, description, actions, origin);
    }

    private static ActionDefinition? ReadEntry(JsonElement item, string path, List<ValidationError> errors)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(path, "must be an object with action, category, type, crud, template and description"));
            return null;
        }

        var before = errors.Count;
        RejectUnknown(item, path, [.. EntryFields, "personal"], errors);
        var values = EntryFields.Select(field => ReadString(item, path, field, errors)).ToArray();
        var personal = new List<string>();
        if (item.TryGetProperty("personal", out var paths) && paths.ValueKind != JsonValueKind.Null)
        {
            if (paths.ValueKind != JsonValueKind.Array || paths.EnumerateArray().Any(p => p.ValueKind != JsonValueKind.String))
            {
                errors.Add(new($"{path}.personal", $"must be a list of paths: {PersonalPaths.Grammar}"));
            }
            else
            {
                personal.AddRange(paths.EnumerateArray().Select(p => p.GetString()!));
            }
        }

        if (errors.Count > before)
        {
            return null;
        }

        var definition = new ActionDefinition(values[0]!, values[1]!, values[2]!, values[3]!, values[4]!, values[5]!) { Personal = personal };
        var problems = definition.Validate();
        errors.AddRange(problems.Select(p => p with { Field = $"{path}.{p.Field}" }));
        return problems.Count == 0 ? definition : null;
    }

    private static string? ReadString(JsonElement parent, string path, string field, List<ValidationError> errors)
    {
        if (!parent.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(new(Join(path, field), "must be a string"));
            return null;
        }

        return value.GetString();
    }

    private static void RejectUnknown(JsonElement element, string path, string[] known, List<ValidationError> errors)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
            {
                errors.Add(new(Join(path, property.Name), $"unknown field; expected {string.Join(", ", known)}"));
            }
        }
    }

    private static string Join(string path, string field) => path.Length == 0 ? field : $"{path}.{field}";

    private static CatalogException Single(string origin, string field, string message) => new(origin, [new ValidationError(field, message)]);
}
