using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Witness.Events;
using Witness.Integrity;

namespace Witness.Export;

/// <summary>
/// Checks a verifiable NDJSON export (docs/export-format.md) with nothing but the log's public key:
/// the checkpoint's signature, every event's bytes against its hash, each event's place in the log
/// (the recomputed root of a whole-log export, or each inclusion proof of a filtered one), the order
/// and completeness of the lines, and the signed trailer over every byte. Reports the first problem,
/// naming the event where there is one. Reads the file once, line by line.
/// </summary>
public static class ExportVerifier
{
    /// <summary>Checks the export with one public key: enough for a log signed by one key since its start.</summary>
    public static Task<ExportVerification> VerifyAsync(Stream input, ECDsa publicKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        return VerifyAsync(input, [publicKey], ct);
    }

    /// <summary>
    /// Checks the export with the public keys given from a trusted place (never those the file carries): every
    /// checkpoint in it (the header's, and the last one of each older key in <c>earlier_checkpoints</c>) and the
    /// trailer must verify under one of them. A checkpoint signed by a key not given fails, naming its key ID.
    /// </summary>
    public static async Task<ExportVerification> VerifyAsync(Stream input, IReadOnlyList<ECDsa> publicKeys, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(publicKeys);
        if (publicKeys.Count == 0)
        {
            throw new ArgumentException("At least one public key is needed.", nameof(publicKeys));
        }

        using var reader = new StreamReader(input, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false), detectEncodingFromByteOrderMarks: false, bufferSize: 64 * 1024, leaveOpen: true);
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        var headerLine = await reader.ReadLineAsync(ct).ConfigureAwait(false);
        if (headerLine is null || !TryParse(headerLine, out var header) || !header.TryGetProperty(VerifiableExport.HeaderMember, out var version))
        {
            return ExportVerification.Bad("", 0, 0, "line 1 is not the header of a Witness export", line: 1);
        }

        if (version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var number) || number != VerifiableExport.Version)
        {
            return ExportVerification.Bad("", 0, 0, $"this is export format version {version}; this verifier reads version {VerifiableExport.Version}", line: 1);
        }

        var state = State.FromHeader(header, publicKeys, out var headerProblem);
        if (state is null)
        {
            return ExportVerification.Bad(Text(header, "tenant") ?? "", 0, 0, headerProblem!, line: 1);
        }

        Hash(digest, headerLine);
        long lineNumber = 1;
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            lineNumber++;
            if (!TryParse(line, out var element) || element.ValueKind != JsonValueKind.Object)
            {
                return state.Bad($"line {lineNumber} is not a JSON object", line: lineNumber);
            }

            if (element.TryGetProperty(VerifiableExport.TrailerMember, out var trailer))
            {
                var problem = state.CheckTrailer(trailer, Convert.ToHexStringLower(digest.GetHashAndReset()), lineNumber);
                if (problem is not null)
                {
                    return problem;
                }

                if (await reader.ReadLineAsync(ct).ConfigureAwait(false) is not null)
                {
                    return state.Bad($"there are lines after the signed trailer on line {lineNumber}: something was appended", line: lineNumber + 1);
                }

                return state.Finish();
            }

            var bad = state.Consume(element, line, lineNumber);
            if (bad is not null)
            {
                return bad;
            }

            Hash(digest, line);
        }

        return state.Bad("the file ends without its signed trailer: it was cut short, or its last events were removed", line: lineNumber + 1);
    }

    private static void Hash(IncrementalHash digest, string line)
    {
        digest.AppendData(Encoding.UTF8.GetBytes(line));
        digest.AppendData("\n"u8);
    }

    private static bool TryParse(string line, out JsonElement element)
    {
        try
        {
            using var doc = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 128 });
            element = doc.RootElement.Clone();
            return true;
        }
        catch (JsonException)
        {
            element = default;
            return false;
        }
    }

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private sealed class State
    {
        private readonly IReadOnlyList<ECDsa> _keys;
        private readonly string _tenant;
        private readonly bool _wholeLog;
        private readonly Checkpoint? _checkpoint;
        private readonly Queue<Checkpoint> _earlier;
        private readonly string? _trailerKeyId;
        private readonly MerkleFrontier _frontier = new();
        private long _events;
        private long? _previousSeq;
        private string? _previousId;
        private DateTimeOffset _previousTime;

        private State(IReadOnlyList<ECDsa> keys, string tenant, bool wholeLog, Checkpoint? checkpoint, Queue<Checkpoint> earlier, string? trailerKeyId)
        {
            _keys = keys;
            _tenant = tenant;
            _wholeLog = wholeLog;
            _checkpoint = checkpoint;
            _earlier = earlier;
            _trailerKeyId = trailerKeyId;
        }

        private long Size => _checkpoint?.Size ?? 0;

        public static State? FromHeader(JsonElement header, IReadOnlyList<ECDsa> keys, out string? problem)
        {
            problem = null;
            var tenant = Text(header, "tenant");
            var mode = Text(header, "mode");
            if (tenant is null || !EventParser.IsValidTenant(tenant))
            {
                problem = "the header names no valid tenant";
                return null;
            }

            if (mode is not (VerifiableExport.WholeLogMode or VerifiableExport.ProofsMode))
            {
                problem = $"the header's mode is '{mode}', not '{VerifiableExport.WholeLogMode}' or '{VerifiableExport.ProofsMode}'";
                return null;
            }

            Checkpoint? checkpoint = null;
            if (header.TryGetProperty("checkpoint", out var cp) && cp.ValueKind == JsonValueKind.Object)
            {
                var note = Text(cp, "note");
                var keyName = Text(header, "key_name");
                if (note is null || keyName is null)
                {
                    problem = "the header's checkpoint has no signed note, or the header no key_name";
                    return null;
                }

                checkpoint = VerifyNote(note, keyName, keys, "the checkpoint in the header", out problem);
                if (checkpoint is null)
                {
                    return null;
                }

                if (checkpoint!.Origin != Checkpoints.LogOrigins.Tenant(keyName, tenant))
                {
                    problem = $"the checkpoint is of the log '{checkpoint.Origin}', not of tenant '{tenant}'";
                    return null;
                }

                if (!cp.TryGetProperty("size", out var size) || !size.TryGetInt64(out var sizeValue) || sizeValue != checkpoint.Size
                    || Text(cp, "root_hash") != Convert.ToBase64String(checkpoint.RootHash))
                {
                    problem = "the header's checkpoint size or root hash differs from its signed note";
                    return null;
                }
            }
            else if (header.TryGetProperty("checkpoint", out var missing) && missing.ValueKind != JsonValueKind.Null)
            {
                problem = "the header's checkpoint is not an object";
                return null;
            }

            var earlier = new Queue<Checkpoint>();
            if (header.TryGetProperty("earlier_checkpoints", out var list) && list.ValueKind == JsonValueKind.Array && checkpoint is not null)
            {
                long previous = 0;
                foreach (var item in list.EnumerateArray())
                {
                    var note = Text(item, "note");
                    var size = item.TryGetProperty("size", out var s) && s.TryGetInt64(out var n) ? n : (long?)null;
                    var what = $"the earlier checkpoint at size {size?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} in the header";
                    if (note is null)
                    {
                        problem = $"{what} has no signed note";
                        return null;
                    }

                    var earlierCheckpoint = VerifyNote(note, Text(header, "key_name")!, keys, what, out problem);
                    if (earlierCheckpoint is null)
                    {
                        return null;
                    }

                    if (earlierCheckpoint.Origin != checkpoint.Origin || earlierCheckpoint.Size != size || earlierCheckpoint.Size <= previous || earlierCheckpoint.Size >= checkpoint.Size)
                    {
                        problem = $"{what} is not an earlier checkpoint of this log (its origin, size or order differs)";
                        return null;
                    }

                    previous = earlierCheckpoint.Size;
                    earlier.Enqueue(earlierCheckpoint);
                }

                if (earlier.Count > 0 && mode != VerifiableExport.WholeLogMode)
                {
                    problem = "the header carries earlier checkpoints, which only a whole-log export can be checked against";
                    return null;
                }
            }
            else if (header.TryGetProperty("earlier_checkpoints", out var notList) && notList.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null))
            {
                problem = "the header's earlier_checkpoints is not an array";
                return null;
            }

            string? trailerKeyId = null;
            if (Text(header, "public_key_pem") is { } pem)
            {
                try
                {
                    using var named = SigningKey.ImportPublicKeyPem(pem);
                    trailerKeyId = RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(named));
                }
                catch (FormatException)
                {
                    // Informational only: the trailer is checked against the keys given.
                }
            }

            return new State(keys, tenant, mode == VerifiableExport.WholeLogMode, checkpoint, earlier, trailerKeyId);
        }

        /// <summary>The checkpoint of a note signed by one of the keys given, or null with the problem: the key it names when none of them is that key.</summary>
        private static Checkpoint? VerifyNote(string note, string keyName, IReadOnlyList<ECDsa> keys, string what, out string? problem)
        {
            problem = null;
            foreach (var key in keys)
            {
                if (CheckpointSigner.TryVerify(note, keyName, key, out var checkpoint))
                {
                    return checkpoint;
                }
            }

            var given = keys.Select(k => CheckpointSigner.KeyId(k)).ToHashSet();
            var claimed = CheckpointSigner.SignerKeyIds(note);
            problem = claimed.Count > 0 && !claimed.Any(given.Contains)
                ? $"{what} is signed by another key, {RegisteredKey.FormatKeyId(claimed[0])}, which is not among the public keys given ({string.Join(", ", given.Select(RegisteredKey.FormatKeyId))}): give that key too (--public-key; GET /v1/public-keys lists every key, and the header's \"keys\" names it)"
                : $"{what} is not signed by this public key: it was signed by another key, or altered";
            return null;
        }

        public ExportVerification Bad(string problem, long? seq = null, string? id = null, long? line = null) =>
            ExportVerification.Bad(_tenant, _events, Size, problem, seq, id, line);

        public ExportVerification? Consume(JsonElement element, string line, long lineNumber)
        {
            JsonElement eventElement;
            IReadOnlyList<byte[]>? proof = null;
            long? prevSeq = null;
            if (_wholeLog)
            {
                eventElement = element;
            }
            else
            {
                if (!element.TryGetProperty("event", out eventElement) || !TryReadProof(element, out proof, out prevSeq))
                {
                    return Bad($"line {lineNumber} is not an event with its proof ({{\"event\":…,\"prev_seq\":…,\"proof\":[…]}})", line: lineNumber);
                }
            }

            AuditEvent e;
            try
            {
                e = CanonicalEvent.FromElement(eventElement);
            }
            catch (JsonException ex)
            {
                return Bad($"line {lineNumber} is not a Witness event: {ex.Message}", line: lineNumber);
            }

            var canonical = CanonicalEvent.Write(e);
            byte[]? personal = null;
            if (eventElement.TryGetProperty("personal", out var record))
            {
                try
                {
                    personal = Convert.FromBase64String(record.GetString() ?? "");
                }
                catch (Exception ex) when (ex is FormatException or InvalidOperationException)
                {
                    return Bad($"event seq {e.Seq} (id {e.Id}) on line {lineNumber} has a personal record that is not base64", e.Seq, e.Id, lineNumber);
                }
            }

            var leafBytes = new ArrayBufferWriter<byte>(canonical.Length + 256);
            if (!PersonalValues.TryLeaf(canonical, personal, personal is not null, leafBytes))
            {
                return Bad($"event seq {e.Seq} (id {e.Id}) on line {lineNumber} has a personal record that does not fit its personal values: it was changed after export", e.Seq, e.Id, lineNumber);
            }

            var leaf = MerkleHash.Leaf(leafBytes.WrittenSpan);
            var claimed = Text(eventElement, "hash");
            if (claimed != Convert.ToHexStringLower(leaf))
            {
                return Bad($"event seq {e.Seq} (id {e.Id}) on line {lineNumber} does not match its hash: its content was changed after export", e.Seq, e.Id, lineNumber);
            }

            if (!IsCanonicalLine(line, canonical, leaf, personal, _wholeLog))
            {
                return Bad($"event seq {e.Seq} (id {e.Id}) on line {lineNumber} is not written as Witness wrote it (bytes were added, removed or reformatted)", e.Seq, e.Id, lineNumber);
            }

            if (e.Tenant != _tenant)
            {
                return Bad($"event seq {e.Seq} (id {e.Id}) on line {lineNumber} belongs to tenant '{e.Tenant}', not '{_tenant}': it was inserted", e.Seq, e.Id, lineNumber);
            }

            if (e.Seq < 1 || e.Seq > Size)
            {
                return Bad($"event seq {e.Seq} (id {e.Id}) on line {lineNumber} is outside the signed checkpoint (size {Size}): it was inserted", e.Seq, e.Id, lineNumber);
            }

            var problem = _wholeLog ? CheckLogPosition(e, leaf, lineNumber) : CheckProof(e, leaf, proof!, prevSeq, lineNumber);
            if (problem is not null)
            {
                return problem;
            }

            _events++;
            _previousSeq = e.Seq;
            _previousId = e.Id;
            _previousTime = e.OccurredAt;
            return null;
        }

        private ExportVerification? CheckLogPosition(AuditEvent e, byte[] leaf, long lineNumber)
        {
            var expected = _frontier.Size + 1;
            if (e.Seq > expected)
            {
                return Bad($"event seq {expected} is missing: line {lineNumber} holds seq {e.Seq} (id {e.Id}) where seq {expected} belongs; it was removed or moved", expected, null, lineNumber);
            }

            if (e.Seq < expected)
            {
                return Bad($"event seq {e.Seq} (id {e.Id}) on line {lineNumber} comes after seq {expected - 1}: it was moved, duplicated or inserted", e.Seq, e.Id, lineNumber);
            }

            _frontier.Append(leaf);
            if (_earlier.TryPeek(out var earlier) && earlier.Size == _frontier.Size)
            {
                _earlier.Dequeue();
                if (!_frontier.Root().AsSpan().SequenceEqual(earlier.RootHash))
                {
                    return Bad($"the events up to seq {earlier.Size} do not hash to the root of the earlier checkpoint signed at that size: an event up to it and its hash were both changed", null, null, lineNumber);
                }
            }

            return null;
        }

        private ExportVerification? CheckProof(AuditEvent e, byte[] leaf, IReadOnlyList<byte[]> proof, long? prevSeq, long lineNumber)
        {
            // Order first: a line put somewhere else breaks the newest-first order where it now stands.
            if (_previousSeq is { } previous && (e.OccurredAt > _previousTime || (e.OccurredAt == _previousTime && e.Seq >= previous)))
            {
                return Bad($"event seq {e.Seq} (id {e.Id}) on line {lineNumber} is out of order after seq {previous} (id {_previousId}): the export lists events newest first, so lines were moved or inserted", e.Seq, e.Id, lineNumber);
            }

            if (prevSeq != _previousSeq)
            {
                return prevSeq is { } missing
                    ? Bad($"event seq {missing} is missing before seq {e.Seq} (id {e.Id}) on line {lineNumber}: it was removed", missing, null, lineNumber)
                    : Bad($"event seq {e.Seq} (id {e.Id}) on line {lineNumber} says it is the first event of the export, but seq {_previousSeq} came before it: lines were moved or inserted", e.Seq, e.Id, lineNumber);
            }

            if (!MerkleVerifier.VerifyInclusion(leaf, e.Seq - 1, Size, proof, _checkpoint!.RootHash))
            {
                return Bad($"event seq {e.Seq} (id {e.Id}) on line {lineNumber} is not in the signed log: its inclusion proof fails, so it was changed or inserted", e.Seq, e.Id, lineNumber);
            }

            return null;
        }

        public ExportVerification? CheckTrailer(JsonElement trailer, string digestHex, long lineNumber)
        {
            if (trailer.ValueKind != JsonValueKind.Object || !trailer.TryGetProperty("events", out var eventsElement) || !eventsElement.TryGetInt64(out var events)
                || Text(trailer, "sha256") is not { } sha256 || Text(trailer, "signature") is not { } signatureText)
            {
                return Bad($"the trailer on line {lineNumber} is malformed", line: lineNumber);
            }

            byte[] signature;
            try
            {
                signature = Convert.FromBase64String(signatureText);
            }
            catch (FormatException)
            {
                return Bad($"the trailer's signature on line {lineNumber} is not base64", line: lineNumber);
            }

            if (!_keys.Any(key => VerifiableExport.VerifyTrailer(key, _tenant, events, sha256, signature)))
            {
                var named = _trailerKeyId is { } id && !_keys.Any(k => RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(k)) == id)
                    ? $"; the header says key {id} signed it, which is not among the public keys given"
                    : "";
                return Bad($"the trailer on line {lineNumber} is not signed by this public key: it was signed by another key, or altered{named}", line: lineNumber);
            }

            if (events != _events)
            {
                return Bad($"the server exported {events} events but the file holds {_events}: events were {(events > _events ? "removed" : "inserted")}", line: lineNumber);
            }

            if (sha256 != digestHex)
            {
                return Bad("the file's bytes differ from what the server signed in the trailer (a header or event line was altered)", line: lineNumber);
            }

            return null;
        }

        public ExportVerification Finish()
        {
            if (_wholeLog && _checkpoint is { } checkpoint)
            {
                if (_frontier.Size != checkpoint.Size)
                {
                    return Bad($"the export ends at seq {_frontier.Size} but the signed checkpoint covers {checkpoint.Size} events: the events after seq {_frontier.Size} were removed", _frontier.Size + 1);
                }

                if (!_frontier.Root().AsSpan().SequenceEqual(checkpoint.RootHash))
                {
                    return Bad("the events do not hash to the signed checkpoint's root: an event and its hash were both changed");
                }
            }

            return ExportVerification.Good(_tenant, _events, Size);
        }

        private static bool TryReadProof(JsonElement element, out IReadOnlyList<byte[]>? proof, out long? prevSeq)
        {
            proof = null;
            prevSeq = null;
            if (!element.TryGetProperty("proof", out var proofElement) || proofElement.ValueKind != JsonValueKind.Array
                || !element.TryGetProperty("prev_seq", out var prev))
            {
                return false;
            }

            if (prev.ValueKind == JsonValueKind.Number && prev.TryGetInt64(out var p))
            {
                prevSeq = p;
            }
            else if (prev.ValueKind != JsonValueKind.Null)
            {
                return false;
            }

            var hashes = new List<byte[]>();
            foreach (var step in proofElement.EnumerateArray())
            {
                if (step.ValueKind != JsonValueKind.String)
                {
                    return false;
                }

                try
                {
                    hashes.Add(Convert.FromHexString(step.GetString()!));
                }
                catch (FormatException)
                {
                    return false;
                }
            }

            proof = hashes;
            return true;
        }

        /// <summary>Whether the event part of the line is byte for byte the canonical form with its hash, as the server writes it.</summary>
        private static bool IsCanonicalLine(string line, byte[] canonical, byte[] leaf, byte[]? personal, bool wholeLog)
        {
            var buffer = new ArrayBufferWriter<byte>(canonical.Length + 128);
            if (!wholeLog)
            {
                buffer.Write("{\"event\":"u8);
            }

            CanonicalEvent.WriteWithHash(buffer, canonical, leaf, personal);
            var expected = buffer.WrittenSpan;
            var actual = Encoding.UTF8.GetBytes(line);
            return wholeLog ? actual.AsSpan().SequenceEqual(expected) : actual.AsSpan().StartsWith(expected);
        }
    }
}
