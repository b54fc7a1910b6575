"""Names of the anchors that placement rules refer to as ``an:<id>`` beyond the anatomy
landmarks: bony and facial points the WHO locations are written against. Bilateral ones
are listed without their side; a rule names them plainly and gets the point's side.

``acupuncture.anchors`` computes each one on a body; this module only names them, so the
catalog can be checked without a body.
"""

from __future__ import annotations

# id: (bilateral, English, Chinese)
ANCHOR_NAMES: dict[str, tuple[bool, str, str]] = {
    # head and face, from the skin (hm08 vertex sets, see acupuncture.face_vertices)
    "inner_canthus": (True, "inner canthus", "目内眦"),
    "outer_canthus": (True, "outer canthus", "目外眦"),
    "pupil": (True, "pupil (eyes looking straight ahead)", "瞳孔"),
    "infraorbital_margin": (True, "infraorbital margin below the pupil", "瞳孔直下眶下缘"),
    "eyebrow_medial": (True, "medial end of the eyebrow", "眉头"),
    "eyebrow_mid": (True, "midpoint of the eyebrow", "眉毛中点"),
    "eyebrow_lateral": (True, "lateral end of the eyebrow", "眉梢"),
    "nose_tip": (False, "tip of the nose", "鼻尖"),
    "nasal_ala": (True, "midpoint of the lateral border of the nasal ala", "鼻翼外缘中点"),
    "philtrum_mid": (False, "midpoint of the philtrum", "人中沟中点"),
    "upper_lip_tubercle": (False, "tubercle of the upper lip", "上唇结节"),
    "mouth_corner": (True, "corner of the mouth", "口角"),
    "mentolabial_sulcus": (False, "midpoint of the mentolabial sulcus", "颏唇沟正中"),
    "chin": (False, "lowest point of the chin in front", "颏部最低点"),
    "tragus": (True, "tragus of the ear", "耳屏"),
    "intertragic_notch": (True, "intertragic notch", "屏间切迹"),
    "ear_apex": (True, "apex of the auricle", "耳尖"),
    "earlobe": (True, "lower border of the earlobe", "耳垂下缘"),
    "mandible_angle": (True, "angle of the mandible", "下颌角"),
    "mandible_condyle": (True, "condylar process of the mandible", "下颌骨髁突"),
    "zygomatic_arch": (True, "midpoint of the lower border of the zygomatic arch", "颧弓下缘中点"),
    "occipital_protuberance": (False, "external occipital protuberance", "枕外隆凸"),
    "laryngeal_prominence": (False, "laryngeal prominence", "喉结"),
    # trunk, from the bones
    "axilla_apex": (True, "apex of the axilla", "腋窝顶点"),
    "rib_11_tip": (True, "free end of the 11th rib", "第11肋游离端"),
    "rib_12_tip": (True, "free end of the 12th rib", "第12肋游离端"),
    "scapula_medial_border": (
        True,
        "medial border of the scapula, level with the root of its spine",
        "肩胛骨内侧缘（平肩胛冈内侧端）",
    ),
    "scapula_spine_root": (True, "root (medial end) of the scapular spine", "肩胛冈内侧端"),
    "scapula_spine_mid": (True, "midpoint of the scapular spine", "肩胛冈中点"),
    "scapula_inferior_angle": (True, "inferior angle of the scapula", "肩胛骨下角"),
    "scapula_superior_angle": (True, "superior angle of the scapula", "肩胛骨上角"),
    "infraspinous_centre": (True, "centre of the infraspinous fossa", "冈下窝中央"),
    "supraspinous_centre": (True, "centre of the suprascapular fossa", "冈上窝中央"),
    "acromion_angle": (True, "acromial angle", "肩峰角"),
    "asis": (True, "anterior superior iliac spine", "髂前上棘"),
    "psis": (True, "posterior superior iliac spine", "髂后上棘"),
    "iliac_crest_top": (True, "highest point of the iliac crest", "髂嵴最高点"),
    "pubic_tubercle": (True, "pubic tubercle", "耻骨结节"),
    "ischial_tuberosity": (True, "ischial tuberosity", "坐骨结节"),
    "sacral_hiatus": (False, "sacral hiatus", "骶管裂孔"),
    "coccyx_tip": (False, "tip of the coccyx", "尾骨端"),
    "perineum_centre": (False, "centre of the perineum", "会阴中点"),
    **{
        f"sacral_foramen_{k}": (True, f"posterior sacral foramen {k}", f"第{k}骶后孔")
        for k in range(1, 5)
    },
    # below the spinous process of each vertebra: the depression GV and BL points use
    **{
        f"below_spinous_{v}": (
            False,
            f"below the spinous process of {v.upper()}",
            f"{v.upper()}棘突下",
        )
        for v in [f"c{i}" for i in range(1, 8)]
        + [f"t{i}" for i in range(1, 13)]
        + [f"l{i}" for i in range(1, 6)]
    },
    # hands and feet, from the phalanges
    **{
        f"nail_{edge}_{k}": (True, f"{edge} corner of the nail of finger {k}", f"第{k}指指甲{zh}角")
        for k in range(1, 6)
        for edge, zh in (("radial", "桡侧"), ("ulnar", "尺侧"))
    },
    **{f"finger_tip_{k}": (True, f"tip of finger {k}", f"第{k}指尖") for k in range(1, 6)},
    **{
        f"toenail_{edge}_{k}": (True, f"{edge} corner of the nail of toe {k}", f"第{k}趾趾甲{zh}角")
        for k in range(1, 6)
        for edge, zh in (("medial", "内侧"), ("lateral", "外侧"))
    },
    **{f"toe_tip_{k}": (True, f"tip of toe {k}", f"第{k}趾尖") for k in range(1, 6)},
}
