using Witness.Storage;

namespace Witness.Search;

/// <summary>
/// The trigrams free text is indexed by: every three consecutive UTF-16 units of the lower-case
/// search text (<see cref="EventIndexKeys.SearchText"/>), as an int. A text can only contain a
/// term when it holds every trigram of the term, so a set of trigrams narrows a substring search
/// without changing what it finds. Three ASCII characters map one-to-one into 21 bits; any other
/// trigram is hashed above them (a collision only makes a block a candidate it did not need to be).
/// </summary>
public static class TextTrigrams
{
    /// <summary>Terms shorter than this have no trigram and cannot use the index.</summary>
    public const int MinTermLength = 3;

    /// <summary>Adds the trigrams of <paramref name="searchText"/> (already lower case) to <paramref name="set"/>.</summary>
    public static void Add(string searchText, HashSet<int> set)
    {
        var text = searchText.AsSpan();
        for (var i = 0; i + 2 < text.Length; i++)
        {
            set.Add(Key(text[i], text[i + 1], text[i + 2]));
        }
    }

    /// <summary>
    /// The distinct trigrams of a free-text term as the matcher compares it (lower-cased, U+0000 as
    /// U+FFFD), or an empty array when the term is shorter than <see cref="MinTermLength"/>.
    /// </summary>
    public static int[] OfTerm(string term)
    {
        var text = EventIndexKeys.IndexText(term.ToLowerInvariant());
        if (text.Length < MinTermLength)
        {
            return [];
        }

        var set = new HashSet<int>();
        Add(text, set);
        var keys = set.ToArray();
        Array.Sort(keys);
        return keys;
    }

    /// <summary>The one text form of a trigram in a store's index: lower-case hex.</summary>
    public static string Token(int key) => key.ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Keys below this are trigrams of three ASCII characters, packed one-to-one into 21 bits; every other trigram's key is hashed to at least this.</summary>
    internal const int AsciiKeys = 1 << 21;

    /// <summary>The key of one trigram: three ASCII characters packed into 21 bits, any other trigram hashed above them (<see cref="AsciiKeys"/>).</summary>
    internal static int Key(char a, char b, char c)
    {
        if ((a | b | c) < 128)
        {
            return (a << 14) | (b << 7) | c;
        }

        var packed = ((ulong)a << 32) | ((ulong)b << 16) | c;
        return (int)((packed * 0x9E3779B97F4A7C15UL) >> 35) | AsciiKeys;
    }
}
