using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Witness.Integrity;

namespace Witness.Server.Witnessing;

/// <summary>
/// What a <c>witness witness</c> server keeps: the logs it witnesses (origin and trusted verifier keys, from its
/// configuration file) and the latest checkpoint it cosigned of each, persisted in <c>witnessed.json</c> before a
/// cosignature is returned. <see cref="AddCheckpoint"/> implements the checks of C2SP tlog-witness
/// <c>add-checkpoint</c>; a check and the update it allows happen under one lock, so no rollback can slip between.
/// </summary>
internal sealed class WitnessedLogs
{
    public const string StateFile = "witnessed.json";
    private const int MaxProofLines = 63;

    private readonly Dictionary<string, IReadOnlyList<NoteVerifierKey>> _logs;
    private readonly Dictionary<string, (long Size, byte[] Root)> _latest;
    private readonly string _statePath;
    private readonly Ed25519NoteKey _key;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();

    private WitnessedLogs(Dictionary<string, IReadOnlyList<NoteVerifierKey>> logs, Dictionary<string, (long, byte[])> latest, string statePath, Ed25519NoteKey key, TimeProvider clock)
    {
        (_logs, _latest, _statePath, _key, _clock) = (logs, latest, statePath, key, clock);
    }

    public Ed25519NoteKey Key => _key;

    /// <summary>
    /// Reads the configuration (<c>{"logs": [{"origin": "...", "keys": ["name+id+key", ...]}]}</c>) and the state in
    /// <paramref name="dataDirectory"/>.
    /// </summary>
    /// <exception cref="FormatException">The configuration or state is malformed; the message names the field.</exception>
    public static WitnessedLogs Load(string configFile, string dataDirectory, Ed25519NoteKey key, TimeProvider clock)
    {
        JsonNode? config;
        try
        {
            config = JsonNode.Parse(File.ReadAllText(configFile));
        }
        catch (JsonException ex)
        {
            throw new FormatException($"{configFile}: not JSON: {ex.Message}", ex);
        }

        var logs = new Dictionary<string, IReadOnlyList<NoteVerifierKey>>(StringComparer.Ordinal);
        if (config?["logs"] is not JsonArray list)
        {
            throw new FormatException($"{configFile}: logs: an array of {{\"origin\": ..., \"keys\": [...]}} is required");
        }

        for (var i = 0; i < list.Count; i++)
        {
            var origin = list[i]?["origin"]?.GetValueKind() == JsonValueKind.String ? list[i]!["origin"]!.GetValue<string>() : null;
            if (string.IsNullOrEmpty(origin))
            {
                throw new FormatException($"{configFile}: logs[{i}].origin: a checkpoint origin is required");
            }

            if (list[i]?["keys"] is not JsonArray keys || keys.Count == 0)
            {
                throw new FormatException($"{configFile}: logs[{i}].keys: at least one verifier key (name+id+base64) is required");
            }

            var parsed = new List<NoteVerifierKey>();
            for (var k = 0; k < keys.Count; k++)
            {
                try
                {
                    parsed.Add(NoteVerifierKey.Parse(keys[k]?.GetValue<string>() ?? ""));
                }
                catch (Exception ex) when (ex is FormatException or InvalidOperationException)
                {
                    throw new FormatException($"{configFile}: logs[{i}].keys[{k}]: {ex.Message}", ex);
                }
            }

            logs[origin] = parsed;
        }

        var statePath = Path.Combine(dataDirectory, StateFile);
        var latest = new Dictionary<string, (long, byte[])>(StringComparer.Ordinal);
        if (File.Exists(statePath))
        {
            foreach (var (origin, node) in JsonNode.Parse(File.ReadAllText(statePath))!.AsObject())
            {
                latest[origin] = (node!["size"]!.GetValue<long>(), Convert.FromBase64String(node["root"]!.GetValue<string>()));
            }
        }

        return new WitnessedLogs(logs, latest, statePath, key, clock);
    }

    /// <summary>The C2SP tlog-witness answer to an <c>add-checkpoint</c> body: status, content type and body.</summary>
    public (int Status, string ContentType, string Body) AddCheckpoint(string request)
    {
        const string Text = "text/plain; charset=utf-8";
        var split = request.IndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            return (400, Text, "the body is an old size line, proof lines, an empty line and a checkpoint\n");
        }

        var head = request[..split].Split('\n');
        var noteText = request[(split + 2)..];
        if (!head[0].StartsWith("old ", StringComparison.Ordinal) || !TryParseSize(head[0][4..], out var oldSize))
        {
            return (400, Text, "the first line is 'old <size>'\n");
        }

        var proof = new List<byte[]>();
        foreach (var line in head[1..])
        {
            if (proof.Count == MaxProofLines || !Convert.TryFromBase64String(line, new byte[32], out var written) || written != 32)
            {
                return (400, Text, "each proof line is the base64 of one 32-byte hash, at most 63 lines\n");
            }

            proof.Add(Convert.FromBase64String(line));
        }

        if (!SignedNote.TryParse(noteText, out var note))
        {
            return (400, Text, "the checkpoint is not a signed note\n");
        }

        Checkpoint checkpoint;
        try
        {
            checkpoint = Checkpoint.ParseBody(note.Body);
        }
        catch (FormatException ex)
        {
            return (400, Text, ex.Message + "\n");
        }

        if (!_logs.TryGetValue(checkpoint.Origin, out var keys))
        {
            return (404, Text, $"this witness does not witness the log {checkpoint.Origin}\n");
        }

        if (!keys.Any(k => k.VerifiesNote(noteText)))
        {
            return (403, Text, "the checkpoint carries no valid signature of a key trusted for its origin\n");
        }

        if (oldSize > checkpoint.Size)
        {
            return (400, Text, "the old size is larger than the checkpoint's\n");
        }

        lock (_gate)
        {
            var (size, root) = _latest.TryGetValue(checkpoint.Origin, out var seen) ? seen : (0, MerkleHash.Empty);
            if (oldSize != size)
            {
                return (409, "text/x.tlog.size", string.Create(CultureInfo.InvariantCulture, $"{size}\n"));
            }

            if (checkpoint.Size == 0 && !checkpoint.RootHash.AsSpan().SequenceEqual(MerkleHash.Empty))
            {
                return (422, Text, "a checkpoint of size 0 has the empty tree's root\n");
            }

            var consistent = oldSize == 0
                ? proof.Count == 0
                : oldSize == checkpoint.Size
                    ? proof.Count == 0 && root.AsSpan().SequenceEqual(checkpoint.RootHash)
                    : MerkleVerifier.VerifyConsistency(oldSize, checkpoint.Size, proof, root, checkpoint.RootHash);
            if (!consistent)
            {
                return (422, Text, $"the checkpoint at size {checkpoint.Size} is not a consistent extension of the one cosigned at size {size}\n");
            }

            _latest[checkpoint.Origin] = (checkpoint.Size, checkpoint.RootHash);
            Persist();
            return (200, Text, _key.CosignatureLine(note.Body, Math.Max(1, _clock.GetUtcNow().ToUnixTimeSeconds())));
        }
    }

    /// <summary>Writes the state to a temporary file, flushes it to disk and moves it into place.</summary>
    private void Persist()
    {
        var state = new JsonObject();
        foreach (var (origin, (size, root)) in _latest.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            state[origin] = new JsonObject { ["size"] = size, ["root"] = Convert.ToBase64String(root) };
        }

        var temporary = _statePath + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(System.Text.Encoding.UTF8.GetBytes(state.ToJsonString()));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, _statePath, overwrite: true);
    }

    private static bool TryParseSize(string text, out long size)
    {
        size = 0;
        return text.Length > 0 && text.All(char.IsAsciiDigit) && (text.Length == 1 || text[0] != '0')
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out size);
    }
}
