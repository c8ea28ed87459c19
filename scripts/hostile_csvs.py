#!/usr/bin/env python3
"""Writes tests/data/hostile/: CSV files an adversarial user might feed to `examples/fit`.

Each file is fed to every model (bgnbd, pnbd, sbg, gg) by tests/hostile.rs, which asserts a
clean outcome: exit 0 with finite numbers, or exit 2 with one line naming the row and field.
Run from the crate root: `python3 scripts/hostile_csvs.py`.
"""
import csv
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "data", "hostile")

# A realistic base: the first 60 customers of the CDNOW summary (x, t_x, T in weeks, mean spend).
with open(os.path.join(ROOT, "data", "cdnow_customers_summary_with_transactions.csv")) as f:
    BASE = [(r["x"], r["t_x"], r["T"], r["zbar"]) for r in list(csv.DictReader(f))[:60]]

RFM = "frequency,recency,T,monetary_value"


def rows(base=BASE):
    return ["%s,%s,%s,%s" % r for r in base]


files = {}


def text(name, lines, nl="\n", trailing=True):
    body = nl.join(lines) + (nl if trailing else "")
    files[name] = body.encode("utf-8")


def raw(name, data):
    files[name] = data


def rfm(name, extra_rows, header=RFM, base=True):
    text(name, [header] + (rows() if base else []) + extra_rows)


# --- encodings -------------------------------------------------------------------------------
raw("enc_utf8_bom.csv", b"\xef\xbb\xbf" + ("\n".join([RFM] + rows()) + "\n").encode())
raw("enc_utf8_bom_crlf.csv", b"\xef\xbb\xbf" + ("\r\n".join([RFM] + rows()) + "\r\n").encode())
raw("enc_utf16le_bom.csv", ("\ufeff" + "\n".join([RFM] + rows()) + "\n").encode("utf-16-le"))
raw("enc_utf16be_bom.csv", ("\ufeff" + "\n".join([RFM] + rows()) + "\n").encode("utf-16-be"))
raw("enc_utf16le_no_bom.csv", ("\n".join([RFM] + rows()) + "\n").encode("utf-16-le"))
raw(
    "enc_latin1_in_ignored_column.csv",
    ("\n".join(["name," + RFM] + ["Zo\x00," + r for r in rows()]) + "\n")
    .encode()
    .replace(b"\x00", b"\xeb"),
)
raw(
    "enc_latin1_in_frequency.csv",
    ("\n".join([RFM] + rows()[:5] + ["2\x00,3,10,5"]) + "\n").encode().replace(b"\x00", b"\xe9"),
)
text("enc_crlf.csv", [RFM] + rows(), nl="\r\n")
text("enc_cr_only.csv", [RFM] + rows(), nl="\r")
text("enc_no_trailing_newline.csv", [RFM] + rows(), trailing=False)
raw("enc_empty.csv", b"")
text("enc_header_only.csv", [RFM])
text("enc_header_only_no_newline.csv", [RFM], trailing=False)
text("enc_blank_lines.csv", [RFM, ""] + rows()[:20] + ["", ""] + rows()[20:] + ["", "2,abc,5,1"])
text("enc_whitespace_padded.csv", [" frequency , recency\t,T ,monetary_value"] + ["  %s ,\t%s, %s ,%s" % r for r in BASE])
raw("enc_nul_in_value.csv", ("\n".join([RFM] + rows()[:3] + ["1,2,3\x00,4"]) + "\n").encode())
text("enc_unicode_header_extra.csv", ["fréquence_client,🙂," + RFM] + ["x,y," + r for r in rows()])

# --- structure -------------------------------------------------------------------------------
rfm("struct_ragged_short.csv", ["3,4"])
rfm("struct_ragged_long.csv", ["3,4,10,5,99"])
text("struct_quoted_fields.csv", ['"frequency","recency","T","monetary_value"'] + ['"%s","%s","%s","%s"' % r for r in BASE])
text(
    "struct_quoted_newline_in_ignored.csv",
    ["note," + RFM] + ['"line one\nline two",' + r for r in rows()[:30]] + ['"a ""quoted"" note",' + r for r in rows()[30:]],
)
rfm("struct_unbalanced_quote.csv", ['"3,4,10,5'])
rfm("struct_duplicate_column.csv", [], header="frequency,recency,T,monetary_value,frequency", base=False)
files["struct_duplicate_column.csv"] += ("\n".join(r + "," + r.split(",")[0] for r in rows()) + "\n").encode()
text("struct_duplicate_ignored_column.csv", ["id,id," + RFM] + ["%d,%d,%s" % (i, i, r) for i, r in enumerate(rows())])
text("struct_weight_and_weights.csv", [RFM + ",weight,weights"] + [r + ",1,2" for r in rows()])
text("struct_missing_T.csv", ["frequency,recency,monetary_value"] + ["%s,%s,%s" % (r[0], r[1], r[3]) for r in BASE])
text("struct_semicolon.csv", [RFM.replace(",", ";")] + [r.replace(",", ";") for r in rows()])
text("struct_tab.csv", [RFM.replace(",", "\t")] + [r.replace(",", "\t") for r in rows()])
text("struct_decimal_comma.csv", ["frequency;recency;T;monetary_value"] + [";".join(v.replace(".", ",") for v in r) for r in BASE])
text("struct_header_case.csv", ["Frequency,Recency,t,Monetary_Value"] + rows())
text("struct_trailing_comma.csv", [RFM + ","] + [r + "," for r in rows()])
text("struct_reordered_extra_columns.csv", ["id,T,monetary_value,recency,frequency,segment"] + ["%d,%s,%s,%s,%s,A" % (i, r[2], r[3], r[1], r[0]) for i, r in enumerate(BASE)])
text("struct_empty_field.csv", [RFM] + rows()[:10] + ["2,,10,5"])
text("struct_header_empty_names.csv", [",,"] + ["1,2,3"])

# --- extreme values --------------------------------------------------------------------------
rfm("ext_T_1e308.csv", ["1,5,1e308,10"])
rfm("ext_T_1e309_overflow.csv", ["1,5,1e309,10"])
rfm("ext_recency_5e-324.csv", ["1,5e-324,10,10"])
rfm("ext_negative_zero.csv", ["-0,-0,10,-0", "1,-0.0,10,5"][:1])
rfm("ext_nan.csv", ["1,NaN,10,5"])
rfm("ext_nan_lowercase_frequency.csv", ["nan,3,10,5"])
rfm("ext_inf_spellings.csv", ["1,3,inf,5"])
rfm("ext_infinity_weight.csv", [], header=RFM + ",weight", base=False)
files["ext_infinity_weight.csv"] += ("\n".join(r + ",1" for r in rows()) + "\n1,3,10,5,Infinity\n").encode()
rfm("ext_minus_inf_monetary.csv", ["1,3,10,-inf"])
rfm("ext_frequency_30_digits.csv", ["123456789012345678901234567890,3,10,5"])
rfm("ext_frequency_2pow53_plus_1.csv", ["9007199254740993,3,10,5"])
rfm("ext_frequency_rounds_to_integer.csv", ["1.0000000000000001,3,10,5"])
rfm("ext_frequency_non_integer.csv", ["2.5,3,10,5"])
text("ext_weight_1e300.csv", [RFM + ",weight"] + [r + ",1" for r in rows()] + ["1,3,10,5,1e300"])
text("ext_weight_zero.csv", [RFM + ",weight"] + [r + ",1" for r in rows()] + ["1,3,10,5,0"])
text("ext_weight_negative.csv", [RFM + ",weights"] + [r + ",1" for r in rows()] + ["1,3,10,5,-2"])
text("ext_weight_subnormal.csv", [RFM + ",weight"] + [r + ",1" for r in rows()] + ["1,3,10,5,5e-324"])
text("ext_weight_tiny.csv", [RFM + ",weight"] + [r + ",1" for r in rows()[:3]] + ["1,3,10,5,1e-300"])
text("ext_weights_sum_overflow.csv", [RFM + ",weight"] + [r + ",1.7e308" for r in rows()])
text("ext_weights_large_valid.csv", [RFM + ",weight"] + [r + ",1e12" for r in rows()])
text("ext_seconds_scale.csv", [RFM] + ["%s,%s,%s,%s" % (x, float(tx) * 604800, float(t) * 604800, m) for x, tx, t, m in BASE])
text("ext_T_1e15.csv", [RFM] + ["%s,%s,%s,%s" % (x, float(tx) * 2.5e13, float(t) * 2.5e13, m) for x, tx, t, m in BASE])
text("ext_T_tiny_1e-300.csv", [RFM] + ["%s,%s,%s,%s" % (x, float(tx) * 1e-300, float(t) * 1e-300, m) for x, tx, t, m in BASE])
rfm("ext_recency_zero_with_frequency.csv", ["3,0,10,5"])
rfm("ext_recency_after_T.csv", ["3,12,10,5"])
rfm("ext_T_zero.csv", ["0,0,0,0"])
rfm("ext_negative_recency.csv", ["1,-3,10,5"])
rfm("ext_exponent_notation.csv", ["1e1,3.5E0,1.0e1,5e0"])
rfm("ext_hex_and_junk.csv", ["0x10,3,10,5"])
rfm("ext_plus_sign.csv", ["+2,+3,+10,+5"])
text("ext_monetary_1e300.csv", [RFM] + ["%s,%s,%s,%s" % (x, tx, t, "%se300" % (float(m) / 100) if float(m) > 0 else "0") for x, tx, t, m in BASE])
rfm("ext_monetary_product_overflow.csv", ["10000000000,30,38,1e300"])
rfm("ext_monetary_zero_with_repeats.csv", ["3,20,30,0"])
rfm("ext_monetary_subnormal.csv", ["3,20,30,5e-324"])
text("ext_recency_1e-9.csv", [RFM, "1,1e-9,1,5", "2,1e-9,1,6", "0,0,1,0", "1,1e-9,1,7"])
text("ext_frequency_1e5.csv", [RFM] + rows() + ["100000,38,38.86,12", "54321,30,38.86,40"])

# --- degenerate data -------------------------------------------------------------------------
text("deg_one_customer.csv", [RFM, "2,30.43,38.86,22.35"])
text("deg_two_identical_customers.csv", [RFM, "2,30.43,38.86,22.35", "2,30.43,38.86,22.35"])
text("deg_nobody_repeats.csv", [RFM] + ["0,0,%s,0" % r[2] for r in BASE])
text("deg_everyone_at_T.csv", [RFM] + ["%s,%s,%s,%s" % (x, t if x != "0" else 0, t, m) for x, tx, t, m in BASE])
text("deg_identical_spends.csv", [RFM] + ["%s,%s,%s,%s" % (x, tx, t, 10 if x != "0" else 0) for x, tx, t, m in BASE])
text(
    "deg_lib_doc_eight_customers.csv",
    ["frequency,recency,T", "2,30.43,38.86", "1,1.71,38.86", "0,0,38.86", "0,0,38.86", "4,20,31", "0,0,27", "7,29.86,31", "1,5,35"],
)
text("deg_one_row_heavy_weight.csv", [RFM + ",weight", "3,20,30,12,1000"])
text("deg_everyone_repeats_once_same.csv", [RFM] + ["1,10,30,5"] * 40)
text("deg_all_zero_recency_T_equal.csv", [RFM] + ["0,0,30,0"] * 10 + ["1,30,30,5"])
text("gg_three_customers.csv", ["frequency,monetary_value", "1,10", "2,12", "3,11"])
text("gg_normal.csv", ["frequency,monetary_value"] + ["%s,%s" % (r[0], r[3]) for r in BASE])

# --- contractual (sBG) -----------------------------------------------------------------------
text("sbg_cohort_regular.csv", ["period,alive", "0,1000", "1,631", "2,468", "3,382", "4,326", "5,289", "6,262", "7,241"])
text("sbg_everyone_churns_in_period_2.csv", ["period,alive", "0,100", "1,100", "2,0"])
text("sbg_lifetimes_everyone_period_2.csv", ["duration,churned"] + ["2,1"] * 30)
text("sbg_nobody_churns.csv", ["duration,churned"] + ["5,0"] * 10)
text("sbg_everyone_churns_period_1.csv", ["period,alive", "0,50", "1,0"])
text("sbg_duration_4294967295.csv", ["duration,churned", "1,1", "3,0", "4294967295,1"])
text("sbg_duration_max.csv", ["duration,churned", "1,1", "2,1", "3,0", "100000,0"])
text("sbg_both_shapes.csv", ["period,alive,duration,churned", "0,100,1,1", "1,60,2,0"])
text("sbg_weight_1e300.csv", ["duration,churned,weight", "1,1,10", "2,0,1e300"])
text("sbg_alive_increasing.csv", ["period,alive", "0,100", "1,120"])
text("sbg_churned_yes.csv", ["duration,churned", "1,1", "2,yes"])
text("sbg_cohort_only_period_0.csv", ["cohort,period,alive", "A,0,100", "A,1,60", "B,0,50"])
text("sbg_latin1_id.csv", ["id,duration,churned"] + ["c%d,%d,%d" % (i, 1 + i % 4, i % 2) for i in range(20)])
files["sbg_latin1_id.csv"] = files["sbg_latin1_id.csv"].replace(b"c3,", b"\xe93,")
text("sbg_alive_fractional.csv", ["period,alive", "0,100", "1,60.5"])
text("sbg_period_30_digits.csv", ["period,alive", "0,100", "123456789012345678901234567890,60"])
text("sbg_alive_1e300.csv", ["period,alive", "0,1e300", "1,5e299"])
text("sbg_many_named_cohorts.csv", ["cohort,period,alive"] + ["c%d,%d,%d" % (c, p, 100 - 10 * p) for c in range(200) for p in range(3)])


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        if name.endswith(".csv"):
            os.remove(os.path.join(OUT, name))
    for name, data in sorted(files.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(len(files), "files in", OUT)


if __name__ == "__main__":
    main()
