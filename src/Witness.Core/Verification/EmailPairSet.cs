using System.Text;

namespace Witness.Verification;

/// <summary>
/// The distinct (email, actor id) pairs of the log's events, each with the first seq that carries it,
/// kept as UTF-8 so that rows checked on their bytes add theirs without making strings.
/// </summary>
internal sealed class EmailPairSet
{
    private const byte Separator = 0xFF; // never part of UTF-8
    private readonly Dictionary<byte[], long> _first = new(Utf8KeyComparer.Instance);
    private readonly Dictionary<byte[], long>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    public EmailPairSet() => _lookup = _first.GetAlternateLookup<ReadOnlySpan<byte>>();

    public void Add(ReadOnlySpan<byte> email, ReadOnlySpan<byte> actorId, long seq)
    {
        var size = email.Length + 1 + actorId.Length;
        var key = size <= 512 ? stackalloc byte[size] : new byte[size];
        email.CopyTo(key);
        key[email.Length] = Separator;
        actorId.CopyTo(key[(email.Length + 1)..]);
        _lookup.TryAdd(key, seq);
    }

    public void Add(string email, string actorId, long seq) => Add(Encoding.UTF8.GetBytes(email), Encoding.UTF8.GetBytes(actorId), seq);

    /// <summary>The pairs in the order they first appeared in the log.</summary>
    public IEnumerable<((string Email, string ActorId) Pair, long Seq)> All() =>
        _first.Select(p =>
        {
            var split = Array.IndexOf(p.Key, Separator);
            return ((Encoding.UTF8.GetString(p.Key, 0, split), Encoding.UTF8.GetString(p.Key, split + 1, p.Key.Length - split - 1)), p.Value);
        });

    private sealed class Utf8KeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly Utf8KeyComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] key) => GetHashCode((ReadOnlySpan<byte>)key);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = default(HashCode);
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
