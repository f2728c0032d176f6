"""The comprehensive evaluation of departments' performance management (the plan 二(三)3): scorecard records, the
launch of the comprehensive_evaluation process, and the whole-department evaluation pilots."""
